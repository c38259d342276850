import { Anchor, Breadcrumbs, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';

import { useBackupJob } from '../../api/backup-jobs.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { BackupJobForm } from './backup-job-form.js';

export default function BackupJobFormPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const navigate = useNavigate();
  const job = useBackupJob(id);
  const done = () => navigate('/backup-jobs');
  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/backup-jobs">
          {t('nav.backupJobs')}
        </Anchor>
        <Text>{id ? (job.data?.name ?? '…') : t('backupJobs.new')}</Text>
      </Breadcrumbs>
      <PageHeader title={id ? t('backupJobs.edit') : t('backupJobs.new')} />
      {id ? <QueryState query={job}>{(data) => <BackupJobForm job={data} onSaved={done} onCancel={done} />}</QueryState> : <BackupJobForm onSaved={done} onCancel={done} />}
    </>
  );
}
