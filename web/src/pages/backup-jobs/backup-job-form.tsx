import { Fieldset, Group, MultiSelect, NumberInput, Select, SimpleGrid, Stack, Switch } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { type BackupJob, useSaveBackupJob } from '../../api/backup-jobs.js';
import { useConnections, useSchemas } from '../../api/connections.js';
import { useStorages } from '../../api/storages.js';
import { errorText } from '../../components/field-error.js';
import { JobIdentityFields, JobScheduleFields } from '../../components/job-form-sections.js';
import { useForm } from '../../lib/use-form.js';
import { type BackupJobFormValues, emptyBackupJob, fromBackupJob, toBackupJobInput, validateBackupJob } from './backup-job-validation.js';

export function BackupJobForm({ job, onSaved, onCancel }: { job?: BackupJob; onSaved: (job: BackupJob) => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const form = useForm<BackupJobFormValues>(job ? fromBackupJob(job) : emptyBackupJob, validateBackupJob);
  const connections = useConnections({ page_size: 200 });
  const storages = useStorages({ page_size: 500 });
  const save = useSaveBackupJob();
  const { values, set, errors } = form;
  const schemas = useSchemas(values.connection_id && !values.all_databases ? values.connection_id : undefined);
  const err = (key: string) => errorText(t, errors[key]);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!form.check()) return;
    save.mutate({ ...(job ? { id: job.id } : {}), input: toBackupJobInput(values) }, { onSuccess: onSaved, onError: form.showServerError });
  };
  return (
    <form onSubmit={submit} noValidate data-testid="backup-job-form">
      <Stack>
        <JobIdentityFields form={form} err={err} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label={t('backupJobs.fields.connection')}
            required
            data={(connections.data?.items ?? []).map((connection) => ({ value: connection.id, label: connection.name }))}
            value={values.connection_id || null}
            onChange={(value) => form.setValues((previous) => ({ ...previous, connection_id: value ?? '', schemas: [] }))}
            error={err('connection_id')}
            searchable
            data-testid="backup-connection-select"
          />
          <MultiSelect
            label={t('backupJobs.fields.storages')}
            required
            data={(storages.data?.items ?? []).map((storage) => ({ value: storage.id, label: storage.name }))}
            value={values.storage_ids}
            onChange={(value) => set('storage_ids', value)}
            error={err('storage_ids')}
            data-testid="backup-storages-select"
          />
        </SimpleGrid>
        <Fieldset legend={t('backupJobs.sections.what')}>
          <Stack gap="xs">
            <Group>
              <Switch label={t('backupJobs.fields.allDatabases')} checked={values.all_databases} onChange={(e) => set('all_databases', e.currentTarget.checked)} />
              <Switch label={t('backupJobs.fields.includeGlobals')} checked={values.include_globals} onChange={(e) => set('include_globals', e.currentTarget.checked)} />
            </Group>
            {!values.all_databases ? (
              <MultiSelect
                label={t('backupJobs.fields.schemas')}
                description={t('backupJobs.schemasHelp')}
                data={(schemas.data ?? []).map((schema) => schema.name)}
                value={values.schemas}
                onChange={(value) => set('schemas', value)}
                disabled={!values.connection_id}
                searchable
              />
            ) : null}
            <SimpleGrid cols={{ base: 1, sm: 4 }}>
              <Select label={t('backupJobs.fields.format')} data={[{ value: 'native', label: t('backupJobs.formats.native') }, { value: 'pg_dump', label: t('backupJobs.formats.pg_dump') }, { value: 'physical', label: t('backupJobs.formats.physical') }]} value={values.format} onChange={(v) => set('format', (v ?? 'native') as BackupJobFormValues['format'])} allowDeselect={false} data-testid="backup-format-select" />
              <Select label={t('backupJobs.fields.compression')} data={[{ value: 'gzip', label: 'gzip' }, { value: 'zstd', label: 'zstd' }, { value: 'none', label: t('backupJobs.noCompression') }]} value={values.compression} onChange={(v) => set('compression', (v ?? 'gzip') as BackupJobFormValues['compression'])} allowDeselect={false} />
              <NumberInput label={t('syncJobs.fields.parallelism')} min={1} max={64} value={values.parallelism} onChange={(v) => set('parallelism', v === '' ? '' : Number(v))} error={err('parallelism')} />
              <Switch label={t('backupJobs.fields.encrypt')} checked={values.encrypt} onChange={(e) => set('encrypt', e.currentTarget.checked)} mt="xl" />
            </SimpleGrid>
            {values.format === 'physical' ? (
              <NumberInput
                label={t('backupJobs.fields.incrementalFullEvery')}
                description={t('backupJobs.incrementalFullEveryHelp')}
                placeholder={t('backupJobs.incrementalFullEveryOff')}
                min={2}
                max={1000}
                value={values.incremental_full_every}
                onChange={(v) => set('incremental_full_every', v === '' ? '' : Number(v))}
                error={err('incremental_full_every')}
                maw={360}
                data-testid="backup-incremental-full-every"
              />
            ) : null}
          </Stack>
        </Fieldset>
        <Fieldset legend={t('backupJobs.sections.retention')}>
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <NumberInput label={t('backupJobs.fields.keepLast')} min={1} value={values.keep_last} onChange={(v) => set('keep_last', v === '' ? '' : Number(v))} error={err('retention.keep_last')} />
            <NumberInput label={t('backupJobs.fields.daily')} min={0} value={values.daily} onChange={(v) => set('daily', v === '' ? '' : Number(v))} error={err('retention.daily')} />
            <NumberInput label={t('backupJobs.fields.weekly')} min={0} value={values.weekly} onChange={(v) => set('weekly', v === '' ? '' : Number(v))} error={err('retention.weekly')} />
            <NumberInput label={t('backupJobs.fields.monthly')} min={0} value={values.monthly} onChange={(v) => set('monthly', v === '' ? '' : Number(v))} error={err('retention.monthly')} />
          </SimpleGrid>
          <Group mt="sm" align="flex-end">
            <Switch label={t('backupJobs.fields.drill')} description={t('backupJobs.drillHelp')} checked={values.drill} onChange={(e) => set('drill', e.currentTarget.checked)} />
            {values.drill ? <NumberInput label={t('backupJobs.fields.drillEvery')} min={1} max={1000} value={values.drill_every} onChange={(v) => set('drill_every', v === '' ? '' : Number(v))} error={err('verification.drill_every')} w={160} /> : null}
          </Group>
        </Fieldset>
        <JobScheduleFields form={form} err={err} onCancel={onCancel} saving={save.isPending} />
      </Stack>
    </form>
  );
}
