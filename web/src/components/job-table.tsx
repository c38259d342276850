import { Anchor, Button, Group, Switch, Table, Text, Tooltip } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

import type { BackupJobListItem } from '../api/backup-jobs.js';
import type { SyncJobListItem } from '../api/sync-jobs.js';
import { describeCron } from '../lib/cron.js';
import { formatDateTime, formatInTimeZone, visibleName } from '../lib/format.js';
import { useCan } from '../lib/me-context.js';
import { StatusBadge } from './status-badge.js';

/** What the table reads of a job list row; sync and backup job rows share these fields. */
export type JobRow = Pick<SyncJobListItem | BackupJobListItem, 'id' | 'name' | 'description' | 'cron' | 'timezone' | 'enabled' | 'next_fire_at' | 'last_run'>;

/** Shared list of sync or backup jobs: schedule, enable switch, run now, edit, delete. */
export function JobTable<J extends JobRow>({
  jobs,
  editPath,
  runsQuery,
  describe,
  onRun,
  onToggle,
  onDelete,
  running,
}: {
  jobs: J[];
  editPath: (job: J) => string;
  runsQuery: (job: J) => string;
  describe: (job: J) => ReactNode;
  onRun: (job: J) => void;
  onToggle: (job: J, enabled: boolean) => void;
  onDelete: (job: J) => void;
  running?: string | null;
}) {
  const { t, i18n } = useTranslation();
  const canEdit = useCan('admin');
  const canRun = useCan('operator');
  return (
    <Table.ScrollContainer minWidth={960}>
      <Table highlightOnHover verticalSpacing="xs" data-testid="jobs-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('jobs.fields.name')}</Table.Th>
            <Table.Th>{t('jobs.fields.what')}</Table.Th>
            <Table.Th>{t('jobs.fields.schedule')}</Table.Th>
            <Table.Th>{t('jobs.fields.nextRun')}</Table.Th>
            <Table.Th>{t('jobs.fields.lastRun')}</Table.Th>
            <Table.Th>{t('jobs.fields.enabled')}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {jobs.map((job) => (
            <Table.Tr key={job.id} data-testid={`job-row-${job.name}`}>
              <Table.Td>
                <Text fw={500}>{visibleName(job.name)}</Text>
                {job.description ? (
                  <Text size="xs" c="dimmed">
                    {job.description}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>{describe(job)}</Table.Td>
              <Table.Td>
                {job.cron ? (
                  <Tooltip label={`${job.cron} (${job.timezone})`}>
                    <Text size="sm">{describeCron(job.cron, i18n.language) || job.cron}</Text>
                  </Tooltip>
                ) : (
                  <Text size="sm" c="dimmed">
                    {t('jobs.manual')}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {job.enabled && job.next_fire_at ? (
                  <Tooltip label={t('jobs.localTime', { time: formatDateTime(job.next_fire_at, i18n.language) })}>
                    <Text size="sm" style={{ whiteSpace: 'nowrap' }} data-testid="job-next-run">
                      {formatInTimeZone(job.next_fire_at, job.timezone)} ({job.timezone})
                    </Text>
                  </Tooltip>
                ) : (
                  <Text size="sm">—</Text>
                )}
              </Table.Td>
              <Table.Td data-testid="job-last-run">
                {job.last_run ? (
                  <Tooltip label={job.last_run.finished_at ? t('jobs.finishedAt', { time: formatDateTime(job.last_run.finished_at, i18n.language) }) : t('jobs.notFinished')}>
                    <Anchor component={Link} to={`/runs/${job.last_run.id}`} underline="never">
                      <StatusBadge status={job.last_run.status} />
                    </Anchor>
                  </Tooltip>
                ) : (
                  <Text size="sm" c="dimmed">
                    {t('jobs.neverRun')}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Switch
                  checked={job.enabled}
                  disabled={!canEdit}
                  aria-label={t('jobs.fields.enabled')}
                  onChange={(event) => onToggle(job, event.currentTarget.checked)}
                />
              </Table.Td>
              <Table.Td>
                <Group gap={4} justify="flex-end" wrap="nowrap">
                  {canRun ? (
                    <Button size="xs" variant="light" onClick={() => onRun(job)} loading={running === job.id} data-testid="job-run">
                      {t('jobs.runNow')}
                    </Button>
                  ) : null}
                  <Button size="xs" variant="subtle" component={Link} to={runsQuery(job)}>
                    {t('jobs.runs')}
                  </Button>
                  {canEdit ? (
                    <>
                      <Button size="xs" variant="subtle" component={Link} to={editPath(job)} data-testid="job-edit">
                        {t('common.edit')}
                      </Button>
                      <Button size="xs" variant="subtle" color="red" onClick={() => onDelete(job)}>
                        {t('common.delete')}
                      </Button>
                    </>
                  ) : null}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
