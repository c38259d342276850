import { Anchor, Breadcrumbs, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';

import { useSyncJob } from '../../api/sync-jobs.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { SyncJobForm } from './sync-job-form.js';

export default function SyncJobFormPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const navigate = useNavigate();
  const job = useSyncJob(id);
  const done = () => navigate('/sync-jobs');
  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/sync-jobs">
          {t('nav.syncJobs')}
        </Anchor>
        <Text>{id ? (job.data?.name ?? '…') : t('syncJobs.new')}</Text>
      </Breadcrumbs>
      <PageHeader title={id ? t('syncJobs.edit') : t('syncJobs.new')} />
      {id ? <QueryState query={job}>{(data) => <SyncJobForm job={data} onSaved={done} onCancel={done} />}</QueryState> : <SyncJobForm onSaved={done} onCancel={done} />}
    </>
  );
}
