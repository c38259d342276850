import { LineChart } from '@mantine/charts';
import { Alert, Anchor, Badge, Breadcrumbs, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';

import { type CutoverReport, type FollowJob, useFollowJob, useFollowJobActions, useFollowStatus } from '../../api/follow-jobs.js';
import { ConfirmTypedName } from '../../components/confirm-typed-name.js';
import { PageHeader } from '../../components/page-header.js';
import { FormErrorAlert, QueryState } from '../../components/query-state.js';
import { formatBytes } from '../../lib/format.js';
import { stateColour } from './follow-jobs-page.js';
import { useLagHistory } from './lag-history.js';

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} data-testid={testId}>
        {value}
      </Text>
    </Paper>
  );
}

function CutoverResult({ report }: { report: CutoverReport }) {
  const { t } = useTranslation();
  return (
    <Stack data-testid="cutover-report">
      <Alert color={report.equal ? 'teal' : 'red'}>{report.equal ? t('followJobs.cutoverEqual', { lsn: report.applied_lsn }) : t('followJobs.cutoverNotEqual')}</Alert>
      <Table>
        <Table.Tbody>
          {report.tables.map((table) => (
            <Table.Tr key={table.table}>
              <Table.Td>{table.table}</Table.Td>
              <Table.Td>
                <Badge color={table.equal ? 'teal' : 'red'}>{table.equal ? t('followJobs.equal') : t('followJobs.different')}</Badge>
              </Table.Td>
              <Table.Td>
                {table.source_rows} / {table.destination_rows}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="sm">{t('followJobs.sequencesSet', { count: report.sequences_set.length })}</Text>
    </Stack>
  );
}

function FollowJobView({ job }: { job: FollowJob }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const running = job.state === 'running';
  const status = useFollowStatus(job.id);
  // Lag and positions measured now; rate and last transaction only the follower knows (stored every 5 s).
  const stored = job.progress ?? undefined;
  const live = status.data ?? stored;
  const history = useLagHistory(status.data, stored?.changes_per_second ?? 0);
  const actions = useFollowJobActions();
  const [dialog, setDialog] = useState<'drop' | 'cutover' | null>(null);
  const [report, setReport] = useState<CutoverReport | null>(job.last_cutover);
  const busy = actions.drop.isPending || actions.cutover.isPending;
  const failure = actions.drop.error ?? actions.cutover.error ?? actions.pause.error ?? actions.resume.error;
  return (
    <Stack>
      <Group>
        <Badge color={stateColour[job.state]} data-testid="follow-state">
          {t(`followJobs.states.${job.state}`)}
        </Badge>
        {job.worker_id ? <Text size="sm">{t('followJobs.onWorker', { worker: job.worker_id })}</Text> : null}
        {job.paused_reason ? <Text size="sm">({job.paused_reason})</Text> : null}
      </Group>
      <FormErrorAlert error={failure} />
      {job.last_error ? <Alert color="red">{`${job.last_error.code}: ${job.last_error.message ?? ''}`}</Alert> : null}
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Figure label={t('followJobs.lag')} value={live?.lag_bytes == null ? '—' : `${formatBytes(live.lag_bytes)} / ${live.lag_seconds ?? '?'} s`} testId="follow-lag" />
        <Figure label={t('followJobs.retained')} value={formatBytes(live?.retained_bytes)} />
        <Figure label={t('followJobs.rate')} value={stored ? `${stored.changes_per_second.toFixed(1)}` : '—'} />
        <Figure label={t('followJobs.lastTransaction')} value={stored?.last_applied_xid == null ? '—' : `${stored.last_applied_xid} · ${stored.last_applied_commit_time ?? ''}`} testId="follow-last-transaction" />
      </SimpleGrid>
      <Paper withBorder p="sm">
        <Title order={5} mb="xs">
          {t('followJobs.lagChart')}
        </Title>
        <LineChart
          h={220}
          data={history}
          dataKey="time"
          withLegend
          data-testid="lag-chart"
          series={[
            { name: 'lagSeconds', label: t('followJobs.lagSeconds'), color: 'orange.6' },
            { name: 'changesPerSecond', label: t('followJobs.rate'), color: 'teal.6' },
          ]}
        />
        {status.isError ? <Text size="sm" c="dimmed">{t('followJobs.statusUnavailable')}</Text> : null}
      </Paper>
      <Text size="sm" c="dimmed">
        {t('followJobs.positions', { applied: live?.applied_lsn ?? '—', source: live?.source_lsn ?? '—', slot: live?.slot_name ?? '—' })}
      </Text>
      <Group>
        {job.state === 'paused' ? (
          <Button onClick={() => actions.resume.mutate({ id: job.id })} loading={actions.resume.isPending} data-testid="resume-follow">
            {t('followJobs.resume')}
          </Button>
        ) : (
          <Button variant="default" onClick={() => actions.pause.mutate({ id: job.id })} loading={actions.pause.isPending} data-testid="pause-follow">
            {t('followJobs.pause')}
          </Button>
        )}
        <Button color="orange" disabled={!running} onClick={() => setDialog('cutover')} data-testid="cutover-follow">
          {t('followJobs.cutover')}
        </Button>
        <Button color="red" variant="light" onClick={() => setDialog('drop')} data-testid="drop-follow">
          {t('followJobs.drop')}
        </Button>
      </Group>
      {report ? <CutoverResult report={report} /> : null}
      <ConfirmTypedName
        opened={dialog !== null}
        name={job.name}
        message={dialog === 'drop' ? t('followJobs.confirmDrop') : t('followJobs.confirmCutover')}
        confirmLabel={dialog === 'drop' ? t('followJobs.drop') : t('followJobs.cutover')}
        loading={busy}
        onClose={() => setDialog(null)}
        onConfirm={() => {
          if (dialog === 'drop') actions.drop.mutate({ id: job.id }, { onSuccess: () => navigate('/follow-jobs'), onSettled: () => setDialog(null) });
          else actions.cutover.mutate({ id: job.id, body: { timeout_s: 300 } }, { onSuccess: (answer) => setReport(answer), onSettled: () => setDialog(null) });
        }}
      />
    </Stack>
  );
}

export default function FollowJobPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const job = useFollowJob(id);
  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/follow-jobs">
          {t('nav.followJobs')}
        </Anchor>
        <Text>{job.data?.name ?? '…'}</Text>
      </Breadcrumbs>
      <PageHeader title={job.data?.name ?? t('nav.followJobs')} />
      <QueryState query={job}>{(data) => <FollowJobView job={data} />}</QueryState>
    </>
  );
}
