import { Anchor, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';

import { runKinds, runStatuses, runTriggers, useRuns } from '../../api/runs.js';
import { PageHeader } from '../../components/page-header.js';
import { PagerControls } from '../../components/pager-controls.js';
import { Empty, QueryState } from '../../components/query-state.js';
import { StatusBadge } from '../../components/status-badge.js';
import { formatBytes, formatDateTime, formatDuration, formatNumber, runDurationMs, visibleName } from '../../lib/format.js';
import { usePager } from '../../lib/use-pager.js';
import { reportedBytes } from '../../lib/run-figures.js';

function isoOrUndefined(local: string | null): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Filterable, paginated run history; filters live in the URL so links can share them. */
export default function RunsPage() {
  const { t, i18n } = useTranslation();
  const [params, setParams] = useSearchParams();
  const pager = usePager();
  const filters = {
    status: params.get('status') ?? undefined,
    kind: params.get('kind') ?? undefined,
    job_id: params.get('job_id') ?? undefined,
    trigger: params.get('trigger') ?? undefined,
    from: isoOrUndefined(params.get('from')),
    to: isoOrUndefined(params.get('to')),
  };
  const runs = useRuns({ ...pager.query, ...filters }, { refetchInterval: 5000 });
  const setFilter = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
    pager.reset();
  };
  return (
    <>
      <PageHeader title={t('runs.title')} description={t('runs.description')} />
      <Group mb="sm" gap="xs">
        <Select
          placeholder={t('runs.fields.status')}
          data={runStatuses.map((status) => ({ value: status, label: t(`status.${status}`) }))}
          value={filters.status ?? null}
          onChange={(value) => setFilter('status', value)}
          clearable
          w={160}
          data-testid="filter-status"
        />
        <Select
          placeholder={t('runs.fields.kind')}
          data={runKinds.map((kind) => ({ value: kind, label: t(`runs.kinds.${kind}`) }))}
          value={filters.kind ?? null}
          onChange={(value) => setFilter('kind', value)}
          clearable
          w={160}
        />
        <Select
          placeholder={t('runs.fields.trigger')}
          data={runTriggers.map((trigger) => ({ value: trigger, label: t(`runs.triggers.${trigger}`) }))}
          value={filters.trigger ?? null}
          onChange={(value) => setFilter('trigger', value)}
          clearable
          w={160}
        />
        <TextInput type="datetime-local" aria-label={t('audit.fields.from')} title={t('audit.fields.from')} value={params.get('from') ?? ''} onChange={(e) => setFilter('from', e.currentTarget.value || null)} />
        <TextInput type="datetime-local" aria-label={t('audit.fields.to')} title={t('audit.fields.to')} value={params.get('to') ?? ''} onChange={(e) => setFilter('to', e.currentTarget.value || null)} />
        {filters.job_id ? (
          <Anchor
            size="sm"
            onClick={() => {
              const next = new URLSearchParams(params);
              next.delete('job_id');
              setParams(next);
            }}
          >
            {t('runs.clearJobFilter')}
          </Anchor>
        ) : null}
      </Group>
      <QueryState query={runs} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('runs.empty')} />}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={860}>
              <Table highlightOnHover verticalSpacing="xs" data-testid="runs-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('runs.fields.job')}</Table.Th>
                    <Table.Th>{t('runs.fields.kind')}</Table.Th>
                    <Table.Th>{t('runs.fields.status')}</Table.Th>
                    <Table.Th>{t('runs.fields.trigger')}</Table.Th>
                    <Table.Th>{t('runs.fields.started')}</Table.Th>
                    <Table.Th>{t('runs.fields.duration')}</Table.Th>
                    <Table.Th ta="right">{t('runs.fields.rows')}</Table.Th>
                    <Table.Th ta="right">{t('runs.fields.bytes')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((run) => (
                    <Table.Tr key={run.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/runs/${run.id}`} data-testid="run-link">
                          {visibleName(run.job_name) ?? run.id.slice(0, 8)}
                        </Anchor>
                        {run.attempt > 1 ? (
                          <Text span size="xs" c="dimmed" ml={4}>
                            {t('runs.attempt', { attempt: run.attempt })}
                          </Text>
                        ) : null}
                      </Table.Td>
                      <Table.Td>{t(`runs.kinds.${run.kind}`)}</Table.Td>
                      <Table.Td>
                        <StatusBadge status={run.status} />
                      </Table.Td>
                      <Table.Td>{t(`runs.triggers.${run.trigger}`, { defaultValue: run.trigger })}</Table.Td>
                      <Table.Td>{formatDateTime(run.started_at ?? run.queued_at, i18n.language)}</Table.Td>
                      <Table.Td>{formatDuration(runDurationMs(run.started_at, run.finished_at), i18n.language)}</Table.Td>
                      <Table.Td ta="right">{formatNumber(run.total_rows, i18n.language)}</Table.Td>
                      <Table.Td ta="right">{formatBytes(reportedBytes(run.kind, run.total_bytes), i18n.language)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <PagerControls pager={pager} data={data} />
          </>
        )}
      </QueryState>
    </>
  );
}
