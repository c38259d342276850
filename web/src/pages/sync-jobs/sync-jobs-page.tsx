import { Text } from '@mantine/core';

import { useRemoveSyncJob, useRunSyncJob, useSetSyncJobEnabled, useSyncJobs } from '../../api/sync-jobs.js';
import { JobsListPage } from '../../components/jobs-list-page.js';
import { usePager } from '../../lib/use-pager.js';

export default function SyncJobsPage() {
  const pager = usePager('page');
  const { enable, disable } = useSetSyncJobEnabled();
  return (
    <JobsListPage
      kind="sync"
      pager={pager}
      jobs={useSyncJobs(pager.query)}
      run={useRunSyncJob()}
      enable={enable}
      disable={disable}
      remove={useRemoveSyncJob()}
      describe={(job, nameOf) => (
        <Text size="sm">
          {nameOf(job.source_connection_id)} → {nameOf(job.destination_connection_id)}
        </Text>
      )}
    />
  );
}
