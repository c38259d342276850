import { Button, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';

import { runIdOf } from '../../api/backups.js';
import { useConnections } from '../../api/connections.js';
import { useRemoveSyncJob, useRunSyncJob, useSetSyncJobEnabled, useSyncJobs } from '../../api/sync-jobs.js';
import { JobTable } from '../../components/job-table.js';
import { PageHeader } from '../../components/page-header.js';
import { PagerControls } from '../../components/pager-controls.js';
import { Empty, ErrorAlert, QueryState } from '../../components/query-state.js';
import { useCan } from '../../lib/me-context.js';
import { usePager } from '../../lib/use-pager.js';

export default function SyncJobsPage() {
  const { t } = useTranslation();
  const canEdit = useCan('admin');
  const pager = usePager('page');
  const jobs = useSyncJobs(pager.query);
  const connections = useConnections({ page_size: 200 });
  const run = useRunSyncJob();
  const { enable, disable } = useSetSyncJobEnabled();
  const remove = useRemoveSyncJob();
  const navigate = useNavigate();
  const nameOf = (id: string) => connections.data?.items.find((connection) => connection.id === id)?.name ?? '…';
  const error = run.error ?? enable.error ?? disable.error ?? remove.error;
  return (
    <>
      <PageHeader
        title={t('syncJobs.title')}
        description={t('syncJobs.description')}
        actions={
          canEdit ? (
            <Button component={Link} to="/sync-jobs/new" data-testid="sync-job-new">
              {t('syncJobs.new')}
            </Button>
          ) : null
        }
      />
      {error ? <ErrorAlert error={error} /> : null}
      <QueryState query={jobs} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('syncJobs.empty')} />}>
        {(data) => (
          <>
            <JobTable
              jobs={data.items}
              editPath={(job) => `/sync-jobs/${job.id}`}
              runsQuery={(job) => `/runs?job_id=${job.id}`}
              describe={(job) => (
                <Text size="sm">
                  {nameOf(job.source_connection_id)} → {nameOf(job.destination_connection_id)}
                </Text>
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
