import { Alert, Anchor, Badge, Breadcrumbs, Button, Code, Group, Paper, Progress, ScrollArea, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';

import { type Run, type RunLog, isActive, useCancelRun, useResumeRun, useRetryRun, useRun, useRunEvents, useRunLogs } from '../../api/runs.js';
import { ErrorAlert, QueryState } from '../../components/query-state.js';
import { StatusBadge } from '../../components/status-badge.js';
import { formatBytes, formatDateTime, formatDuration, formatNumber, runDurationMs, visibleName } from '../../lib/format.js';
import { useCan } from '../../lib/me-context.js';
import { reportedBytes, runTitle } from '../../lib/run-figures.js';
import { mergeProgress } from './run-progress.js';

const levelColor: Record<RunLog['level'], string> = { debug: 'gray', info: 'blue', warn: 'orange', error: 'red' };

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600}>{value}</Text>
    </Paper>
  );
}

/** Schema objects the run could not reproduce on the destination, each with why. */
export function MissingObjects({ items }: { items: Run['missing_objects'] }) {
  const { t } = useTranslation();
  if (items.length === 0) return null;
  return (
    <Paper withBorder p="sm" data-testid="run-missing-objects">
      <Text fw={600}>{t('runs.missingObjects')}</Text>
      <Text size="sm" c="dimmed" mb="xs">
        {t('runs.missingObjectsHint')}
      </Text>
      <Table fz="sm" verticalSpacing={4}>
        <Table.Tbody>
          {items.map((item) => (
            <Table.Tr key={item.object}>
              <Table.Td ff="monospace">{item.object}</Table.Td>
              <Table.Td>{item.reason}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

/** One run: live per-table progress over SSE, rates, ETA, log stream, error, actions. */
export default function RunDetailPage() {
  const { t, i18n } = useTranslation();
  const { id } = useParams();
  const navigate = useNavigate();
  const run = useRun(id);
  const active = run.data ? isActive(run.data.status) : false;
  const connected = useRunEvents(id, active);
  const logs = useRunLogs(id, active);
  const canRun = useCan('operator');
  const cancel = useCancelRun();
  const resume = useResumeRun();
  const retry = useRetryRun();
  const goTo = (queued: { id: string }) => {
    if (queued.id !== id) navigate(`/runs/${queued.id}`);
  };
  const actionError = cancel.error ?? resume.error ?? retry.error;

  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/runs">
          {t('nav.runs')}
        </Anchor>
        <Text>{id?.slice(0, 8)}</Text>
      </Breadcrumbs>
      <QueryState query={run}>
        {(data) => {
          const tables = mergeProgress(data, {});
          const durationMs = runDurationMs(data.started_at, data.finished_at);
          const rows = Math.max(data.total_rows, tables.reduce((sum, table) => sum + table.rows, 0));
          const bytes = reportedBytes(data.kind, Math.max(data.total_bytes, tables.reduce((sum, table) => sum + table.bytes, 0)));
          const title = runTitle(data);
          const rate = durationMs && durationMs > 0 ? rows / (durationMs / 1000) : null;
          const totalExpected = tables.every((table) => table.total !== null) ? tables.reduce((sum, table) => sum + (table.total ?? 0), 0) : null;
          const eta = active && rate && totalExpected && totalExpected > rows ? ((totalExpected - rows) / rate) * 1000 : null;
          return (
            <Stack>
              <Group justify="space-between" align="flex-start">
                <Stack gap={4} style={{ minWidth: 0 }}>
                  <Group gap="xs">
                    <Title order={2} data-testid="run-title" style={{ overflowWrap: 'anywhere' }}>
                      {title ? t(title.key, title.values) : (visibleName(data.job_name) ?? t(`runs.kinds.${data.kind}`))}
                    </Title>
                    <StatusBadge status={data.status} />
                    {active ? (
                      <Badge variant="dot" color={connected ? 'green' : 'gray'} data-testid="live-indicator">
                        {connected ? t('runs.live') : t('runs.polling')}
                      </Badge>
                    ) : null}
                  </Group>
                  <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                    {t(`runs.kinds.${data.kind}`)} · {t(`runs.triggers.${data.trigger}`, { defaultValue: data.trigger })} · {t('runs.attempt', { attempt: data.attempt })}
                    {data.worker_id ? ` · ${data.worker_id}` : ''}
                    {title && data.job_name ? (
                      <span data-untranslated="data">
                        {' · '}
                        {data.job_name}
                      </span>
                    ) : null}
                  </Text>
                </Stack>
                {canRun ? (
                  <Group gap="xs">
                    {active ? (
                      <Button color="red" variant="light" loading={cancel.isPending} onClick={() => cancel.mutate({ id: data.id })} data-testid="run-cancel">
                        {t('runs.actions.cancel')}
                      </Button>
                    ) : null}
                    {(data.status === 'failed' || data.status === 'cancelled') && data.kind === 'sync' ? (
                      <Button variant="light" loading={resume.isPending} onClick={() => resume.mutate({ id: data.id }, { onSuccess: goTo })}>
                        {t('runs.actions.resume')}
                      </Button>
                    ) : null}
                    {data.status === 'failed' || data.status === 'incomplete' || data.status === 'cancelled' ? (
                      <Button variant="light" loading={retry.isPending} onClick={() => retry.mutate({ id: data.id }, { onSuccess: goTo })} data-testid="run-retry">
                        {t('runs.actions.retry')}
                      </Button>
                    ) : null}
                  </Group>
                ) : null}
              </Group>
              {actionError ? <ErrorAlert error={actionError} /> : null}
              <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
                <Stat label={t('runs.fields.started')} value={formatDateTime(data.started_at ?? data.queued_at, i18n.language)} />
                <Stat label={t('runs.fields.duration')} value={formatDuration(durationMs, i18n.language)} />
                <Stat label={t('runs.fields.rows')} value={formatNumber(rows, i18n.language)} />
                <Stat label={t('runs.fields.bytes')} value={formatBytes(bytes, i18n.language)} />
                <Stat label={t('runs.fields.rate')} value={rate ? t('runs.rowsPerSecond', { rate: formatNumber(rate, i18n.language) }) : '—'} />
                <Stat label={t('runs.fields.eta')} value={eta ? formatDuration(eta, i18n.language) : '—'} />
              </SimpleGrid>
              {data.error_message ? (
                <Alert
                  color={data.status === 'incomplete' ? 'orange' : 'red'}
                  title={data.error_code && i18n.exists(`errors.codes.${data.error_code}`) ? t(`errors.codes.${data.error_code}`) : t('common.error')}
                  data-testid="run-error"
                >
                  {data.error_code ? (
                    <Text size="xs" c="dimmed" ff="monospace" data-untranslated="code">
                      {data.error_code}
                    </Text>
                  ) : null}
                  {/* The run's own message is log data, kept as the worker wrote it. */}
                  <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-untranslated="log">
                    {data.error_message}
                  </Text>
                  {data.error_stack ? (
                    <details>
                      <summary>{t('runs.stack')}</summary>
                      <Code block fz="xs" mt="xs">
                        {data.error_stack}
                      </Code>
                    </details>
                  ) : null}
                </Alert>
              ) : null}
              <MissingObjects items={data.missing_objects} />
              <Paper withBorder p="sm">
                <Text fw={600} mb="xs">
                  {t('runs.tables')}
                </Text>
                {tables.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    {active ? t('runs.waitingForTables') : t('runs.noTables')}
                  </Text>
                ) : (
                  <Table.ScrollContainer minWidth={820}>
                  <Table fz="sm" verticalSpacing={6} data-testid="run-tables">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('browse.table')}</Table.Th>
                        <Table.Th>{t('runs.fields.status')}</Table.Th>
                        <Table.Th w="30%">{t('runs.progress')}</Table.Th>
                        <Table.Th ta="right">{t('runs.fields.rows')}</Table.Th>
                        <Table.Th ta="right">{t('runs.fields.bytes')}</Table.Th>
                        <Table.Th ta="right">{t('runs.fields.rate')}</Table.Th>
                        <Table.Th ta="right">{t('runs.fields.eta')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {tables.map((table) => (
                        <Table.Tr key={table.name} data-testid={`run-table-${table.name}`}>
                          <Table.Td ff="monospace">
                            {table.name}
                            {table.error ? (
                              <Text size="xs" c="red">
                                {table.error}
                              </Text>
                            ) : null}
                          </Table.Td>
                          <Table.Td>
                            <StatusBadge status={table.status} />
                          </Table.Td>
                          <Table.Td>
                            <Progress
                              value={table.fraction === null ? 100 : table.fraction * 100}
                              striped={table.fraction === null || table.status === 'running'}
                              animated={table.status === 'running'}
                              color={table.status === 'failed' ? 'red' : table.fraction === 1 ? 'green' : 'blue'}
                              aria-label={table.name}
                            />
                          </Table.Td>
                          <Table.Td ta="right" data-testid="table-rows">
                            {formatNumber(table.rows, i18n.language)}
                            {table.total !== null ? ` / ${formatNumber(table.total, i18n.language)}` : ''}
                          </Table.Td>
                          <Table.Td ta="right">{formatBytes(reportedBytes(data.kind, table.bytes), i18n.language)}</Table.Td>
                          <Table.Td ta="right">{table.rate ? formatNumber(table.rate, i18n.language) : '—'}</Table.Td>
                          <Table.Td ta="right">{table.etaMs ? formatDuration(table.etaMs, i18n.language) : '—'}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                  </Table.ScrollContainer>
                )}
              </Paper>
              <Paper withBorder p="sm">
                <Text fw={600} mb="xs">
                  {t('runs.log')}
                </Text>
                <QueryState query={logs} isEmpty={(items) => items.length === 0} empty={<Text size="sm" c="dimmed">{t('runs.noLog')}</Text>}>
                  {(items) => (
                    <ScrollArea.Autosize mah={360} data-testid="run-log">
                      <Stack gap={2}>
                        {items.map((line) => (
                          <Group key={line.id} gap="xs" wrap="nowrap" align="flex-start">
                            <Text size="xs" c="dimmed" ff="monospace" style={{ whiteSpace: 'nowrap' }}>
                              {new Date(line.at).toLocaleTimeString(i18n.language)}
                            </Text>
                            <Badge size="xs" color={levelColor[line.level]} variant="light" miw={56} style={{ flexShrink: 0 }}>
                              {line.level}
                            </Badge>
                            <Text size="xs" ff="monospace" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                              {line.table ? `[${line.table}] ` : ''}
                              {line.message}
                            </Text>
                          </Group>
                        ))}
                      </Stack>
                    </ScrollArea.Autosize>
                  )}
                </QueryState>
              </Paper>
            </Stack>
          );
        }}
      </QueryState>
    </>
  );
}
