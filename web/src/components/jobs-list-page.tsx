import { Button } from '@mantine/core';
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';

import { useConnections } from '../api/connections.js';
import type { Page } from '../api/http.js';
import { useCan } from '../lib/me-context.js';
import type { usePager } from '../lib/use-pager.js';
import { type JobRow, JobTable } from './job-table.js';
import { PageHeader } from './page-header.js';
import { PagerControls } from './pager-controls.js';
import { Empty, ErrorAlert, QueryState } from './query-state.js';

type ItemAction<Result = unknown> = UseMutationResult<Result, Error, { id: string; body?: unknown }>;

/**
 * The list page of sync jobs or backup jobs: header with "new", the shared job table (run
 * now opens the run, enable switch, delete after a confirm), pager. The kinds differ only in
 * their hooks, texts, paths and how a row describes its databases.
 */
export function JobsListPage<J extends JobRow>(props: {
  kind: 'sync' | 'backup';
  pager: ReturnType<typeof usePager>;
  jobs: UseQueryResult<Page<J>>;
  /** Answers the queued run. */
  run: ItemAction<{ id: string }>;
  enable: ItemAction;
  disable: ItemAction;
  remove: UseMutationResult<void, Error, string>;
  describe: (job: J, nameOf: (connectionId: string) => string) => ReactNode;
}) {
  const { kind, pager, jobs, run, enable, disable, remove } = props;
  const { t } = useTranslation();
  const canEdit = useCan('admin');
  const navigate = useNavigate();
  const connections = useConnections({ page_size: 200 });
  const nameOf = (id: string) => connections.data?.items.find((connection) => connection.id === id)?.name ?? '…';
  const error = run.error ?? enable.error ?? disable.error ?? remove.error;
  const texts = `${kind}Jobs`;
  const path = `/${kind}-jobs`;
  return (
    <>
      <PageHeader
        title={t(`${texts}.title`)}
        description={t(`${texts}.description`)}
        actions={
          canEdit ? (
            <Button component={Link} to={`${path}/new`} data-testid={`${kind}-job-new`}>
              {t(`${texts}.new`)}
            </Button>
          ) : null
        }
      />
      {error ? <ErrorAlert error={error} /> : null}
      <QueryState query={jobs} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t(`${texts}.empty`)} />}>
        {(data) => (
          <>
            <JobTable
              jobs={data.items}
              editPath={(job) => `${path}/${job.id}`}
              runsQuery={(job) => `/runs?job_id=${job.id}`}
              describe={(job) => props.describe(job, nameOf)}
              running={run.isPending ? (run.variables?.id ?? null) : null}
              onRun={(job) =>
                run.mutate(
                  { id: job.id },
                  {
                    onSuccess: (queued) => navigate(`/runs/${queued.id}`),
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
