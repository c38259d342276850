import { BarChart } from '@mantine/charts';
import { Anchor, Badge, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

import { useDashboardData } from '../api/dashboard.js';
import { useProtections } from '../api/protection.js';
import { Empty, QueryState } from '../components/query-state.js';
import { StatusBadge } from '../components/status-badge.js';
import { backupAges, summarizeRuns } from '../lib/dashboard-stats.js';
import { formatBytes, formatDateTime, formatDuration, formatNumber, visibleName } from '../lib/format.js';

function Kpi({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <Paper withBorder p="md" data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fz={26} fw={700}>
        {value}
      </Text>
      {hint ? (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      ) : null}
    </Paper>
  );
}

export default function DashboardPage() {
  const { t, i18n } = useTranslation();
  const data = useDashboardData();
  const protection = useProtections();
  const runs = data.runs.data?.items ?? [];
  const summary = summarizeRuns(runs);
  const lang = i18n.language;
  const schedules = Object.fromEntries((data.backupJobs.data?.items ?? []).map((job) => [job.id, { cron: job.enabled ? job.cron : null, timezone: job.timezone }]));
  const upcoming = [
    ...(data.syncJobs.data?.items ?? []).map((job) => ({ ...job, kind: 'sync' as const })),
    ...(data.backupJobs.data?.items ?? []).map((job) => ({ ...job, kind: 'backup' as const })),
  ]
    .filter((job) => job.enabled && job.next_fire_at)
    .sort((a, b) => String(a.next_fire_at).localeCompare(String(b.next_fire_at)))
    .slice(0, 8);
  // The storage answer has no usage figure: sum the sizes of its unexpired backups.
  const storageUsed = (data.storages.data?.items ?? []).map((storage) => ({
    name: storage.name,
    bytes: (data.backups.data?.items ?? []).filter((b) => b.storage_id === storage.id && b.state !== 'expired').reduce((sum, b) => sum + Number(b.size_bytes), 0),
  }));
  const protections = (protection.data?.items ?? []).filter((item) => item.enabled);
  // The worst recovery point, as the API's dashboard summary counts it: the largest lag; a connection nobody streams also loses the time since its last figures.
  const lags = protections
    .map((item) => (item.progress?.lag_seconds == null ? null : item.progress.lag_seconds + (item.streaming ? 0 : Math.max(0, (Date.now() - Date.parse(item.progress.at)) / 1000))))
    .filter((lag): lag is number => lag !== null);
  const worstRpo = lags.length === 0 ? null : Math.max(...lags);
  const chartData = summary.days.map((day) => ({ ...day, day: new Date(`${day.day}T00:00:00Z`).toLocaleDateString(lang, { month: 'short', day: 'numeric' }) }));

  return (
    <Stack>
      <Title order={2}>{t('dashboard.title')}</Title>
      <SimpleGrid cols={{ base: 2, md: 5 }}>
        <Kpi label={t('dashboard.successRate')} value={summary.successRate === null ? '—' : `${Math.round(summary.successRate * 100)}%`} hint={t('dashboard.ofRuns', { succeeded: summary.succeeded, finished: summary.finished })} testId="kpi-success" />
        <Kpi label={t('dashboard.rowsMoved')} value={formatNumber(summary.rows, lang)} hint={t('dashboard.last14')} />
        <Kpi label={t('dashboard.bytesMoved')} value={formatBytes(summary.bytes, lang)} hint={t('dashboard.last14')} />
        <Kpi label={t('protection.worstRpo')} value={worstRpo === null ? '—' : formatDuration(worstRpo * 1000, lang)} hint={t('protection.worstRpoHint', { streaming: protections.filter((item) => item.streaming).length, protected: protections.length })} testId="kpi-worst-rpo" />
        <Kpi label={t('dashboard.throughput')} value={summary.throughput ? t('runs.rowsPerSecond', { rate: formatNumber(summary.throughput, lang) }) : '—'} hint={t('dashboard.throughputHint')} />
      </SimpleGrid>
      <Paper withBorder p="md">
        <Text fw={600} mb="sm">
          {t('dashboard.runsPerDay')}
        </Text>
        <QueryState query={data.runs}>
          {() => (
            <BarChart
              h={240}
              data={chartData}
              dataKey="day"
              type="stacked"
              withLegend
              series={[
                { name: 'succeeded', label: t('status.succeeded'), color: 'teal.6' },
                { name: 'incomplete', label: t('status.incomplete'), color: 'orange.6' },
                { name: 'failed', label: t('status.failed'), color: 'red.6' },
                { name: 'cancelled', label: t('status.cancelled'), color: 'yellow.6' },
                { name: 'running', label: t('status.running'), color: 'blue.5' },
              ]}
            />
          )}
        </QueryState>
      </Paper>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Paper withBorder p="md">
          <Text fw={600} mb="sm">
            {t('dashboard.runningNow')}
          </Text>
          <QueryState query={data.running} isEmpty={(page) => page.items.length === 0} empty={<Text c="dimmed" size="sm">{t('dashboard.nothingRunning')}</Text>}>
            {(page) => (
              <Table.ScrollContainer minWidth={360}>
              <Table fz="sm">
                <Table.Tbody>
                  {page.items.map((run) => (
                    <Table.Tr key={run.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/runs/${run.id}`}>
                          {visibleName(run.job_name) ?? run.id.slice(0, 8)}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={run.status} />
                      </Table.Td>
                      <Table.Td ta="right">{formatNumber(run.total_rows, lang)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              </Table.ScrollContainer>
            )}
          </QueryState>
        </Paper>
        <Paper withBorder p="md">
          <Text fw={600} mb="sm">
            {t('dashboard.nextRuns')}
          </Text>
          <QueryState query={data.syncJobs} isEmpty={() => upcoming.length === 0} empty={<Text c="dimmed" size="sm">{t('dashboard.nothingScheduled')}</Text>}>
            {() => (
              <Table.ScrollContainer minWidth={360}>
              <Table fz="sm" data-testid="next-runs">
                <Table.Tbody>
                  {upcoming.map((job) => (
                    <Table.Tr key={`${job.kind}-${job.id}`}>
                      <Table.Td>
                        <Anchor component={Link} to={`/${job.kind}-jobs/${job.id}`}>
                          {visibleName(job.name)}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Badge size="xs" variant="light">
                          {t(`runs.kinds.${job.kind}`)}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right">{formatDateTime(job.next_fire_at, lang)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              </Table.ScrollContainer>
            )}
          </QueryState>
        </Paper>
        <Paper withBorder p="md">
          <Text fw={600} mb="sm">
            {t('dashboard.backupAge')}
          </Text>
          <QueryState query={data.backups} isEmpty={(page) => page.items.length === 0} empty={<Empty title={t('dashboard.noBackups')} />}>
            {(page) => (
              <Table.ScrollContainer minWidth={300}>
              <Table fz="sm" data-testid="backup-ages">
                <Table.Tbody>
                  {backupAges(page.items, schedules).map((age) => (
                    <Table.Tr key={age.database}>
                      <Table.Td>{age.database}</Table.Td>
                      <Table.Td ta="right">
                        <Text size="sm" c={age.overdue ? 'red' : undefined} fw={age.overdue ? 700 : undefined} data-overdue={String(age.overdue)}>
                          {t('dashboard.ago', { age: formatDuration(age.ageMs, lang) })}
                          {age.overdue ? ` · ${t('dashboard.overdue')}` : ''}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              </Table.ScrollContainer>
            )}
          </QueryState>
        </Paper>
        <Paper withBorder p="md">
          <Text fw={600} mb="sm">
            {t('dashboard.storageUsed')}
          </Text>
          <QueryState query={data.storages} isEmpty={(page) => page.items.length === 0} empty={<Empty title={t('storages.empty')} />}>
            {() => (
              <Table.ScrollContainer minWidth={300}>
              <Table fz="sm">
                <Table.Tbody>
                  {storageUsed.map((storage) => (
                    <Table.Tr key={storage.name}>
                      <Table.Td>{visibleName(storage.name)}</Table.Td>
                      <Table.Td ta="right">{formatBytes(storage.bytes, lang)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              </Table.ScrollContainer>
            )}
          </QueryState>
        </Paper>
      </SimpleGrid>
      <Group justify="flex-end">
        <Anchor component={Link} to="/runs" size="sm">
          {t('dashboard.allRuns')}
        </Anchor>
      </Group>
    </Stack>
  );
}
