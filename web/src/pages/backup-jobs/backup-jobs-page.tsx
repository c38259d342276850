import { Badge, Button, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';

import { useBackupJobs, useRemoveBackupJob, useRunBackupJob, useSetBackupJobEnabled } from '../../api/backup-jobs.js';
import { runIdOf } from '../../api/backups.js';
import { useConnections } from '../../api/connections.js';
import { JobTable } from '../../components/job-table.js';
import { PageHeader } from '../../components/page-header.js';
import { PagerControls } from '../../components/pager-controls.js';
import { Empty, ErrorAlert, QueryState } from '../../components/query-state.js';
import { useCan } from '../../lib/me-context.js';
import { usePager } from '../../lib/use-pager.js';

export default function BackupJobsPage() {
  const { t } = useTranslation();
  const canEdit = useCan('admin');
  const pager = usePager('page');
  const jobs = useBackupJobs(pager.query);
  const connections = useConnections({ page_size: 200 });
  const run = useRunBackupJob();
  const { enable, disable } = useSetBackupJobEnabled();
  const remove = useRemoveBackupJob();
  const navigate = useNavigate();
  const nameOf = (id: string) => connections.data?.items.find((connection) => connection.id === id)?.name ?? '…';
  const error = run.error ?? enable.error ?? disable.error ?? remove.error;
  return (
    <>
      <PageHeader
        title={t('backupJobs.title')}
        description={t('backupJobs.description')}
        actions={
          canEdit ? (
            <Button component={Link} to="/backup-jobs/new" data-testid="backup-job-new">
              {t('backupJobs.new')}
            </Button>
          ) : null
        }
      />
      {error ? <ErrorAlert error={error} /> : null}
      <QueryState query={jobs} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('backupJobs.empty')} />}>
        {(data) => (
          <>
            <JobTable
              jobs={data.items}
              editPath={(job) => `/backup-jobs/${job.id}`}
              runsQuery={(job) => `/runs?job_id=${job.id}`}
              describe={(job) => (
                <Group gap={4}>
                  <Text size="sm">{job.all_databases ? t('backupJobs.allDatabasesOf', { name: nameOf(job.connection_id) }) : nameOf(job.connection_id)}</Text>
                  <Badge size="xs" variant="outline">
                    {job.format}
                  </Badge>
                  {job.encrypt ? (
                    <Badge size="xs" variant="outline" color="grape">
                      {t('backupJobs.encrypted')}
                    </Badge>
                  ) : null}
                </Group>
              )}
              running={run.isPending ? (run.variables?.id ?? null) : null}
              onRun={(job) =>
                run.mutate(
                  { id: job.id },
                  {
                    onSuccess: (result) => {
                      const id = runIdOf(result);
                      if (id) navigate(`/runs/${id}`);
                    },
                  },
                )
              }
              onToggle={(job, on) => (on ? enable : disable).mutate({ id: job.id })}
              onDelete={(job) => {
                if (window.confirm(t('jobs.confirmDelete', { name: job.name }))) remove.mutate(job.id);
              }}
            />
            <PagerControls pager={pager} data={data} />
          </>
        )}
      </QueryState>
    </>
  );
}
