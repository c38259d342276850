import { Badge, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { useBackupJobs, useRemoveBackupJob, useRunBackupJob, useSetBackupJobEnabled } from '../../api/backup-jobs.js';
import { JobsListPage } from '../../components/jobs-list-page.js';
import { usePager } from '../../lib/use-pager.js';

export default function BackupJobsPage() {
  const { t } = useTranslation();
  const pager = usePager('page');
  const { enable, disable } = useSetBackupJobEnabled();
  return (
    <JobsListPage
      kind="backup"
      pager={pager}
      jobs={useBackupJobs(pager.query)}
      run={useRunBackupJob()}
      enable={enable}
      disable={disable}
      remove={useRemoveBackupJob()}
      describe={(job, nameOf) => (
        <Group gap={4}>
          <Text size="sm">{job.all_databases ? t('backupJobs.allDatabasesOf', { name: nameOf(job.connection_id) }) : nameOf(job.connection_id)}</Text>
          <Badge size="xs" variant="outline" tt="none">
            {t(`backupJobs.formats.${job.format}`)}
          </Badge>
          {job.encrypt ? (
            <Badge size="xs" variant="outline" color="grape">
              {t('backupJobs.encrypted')}
            </Badge>
          ) : null}
        </Group>
      )}
    />
  );
}
