import { Alert, Fieldset, NumberInput, Select, SimpleGrid, Stack, Switch } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { useConnections } from '../../api/connections.js';
import { type SyncJob, schemaPolicies, syncModes, useSaveSyncJob } from '../../api/sync-jobs.js';
import { ConfirmTypedName } from '../../components/confirm-typed-name.js';
import { errorText } from '../../components/field-error.js';
import { JobIdentityFields, JobScheduleFields } from '../../components/job-form-sections.js';
import { TablePicker } from '../../components/table-picker.js';
import { visibleName } from '../../lib/format.js';
import { useForm } from '../../lib/use-form.js';
import { type SyncJobFormValues, destructiveModesIn, emptySyncJob, fromSyncJob, toSyncJobInput, validateSyncJob } from './sync-job-validation.js';

/** The sync job form: drop-downs, table picker, schedule, retries, notifications. */
export function SyncJobForm({ job, onSaved, onCancel }: { job?: SyncJob; onSaved: (job: SyncJob) => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const form = useForm<SyncJobFormValues>(job ? fromSyncJob(job) : emptySyncJob, validateSyncJob);
  const connections = useConnections({ page_size: 200 });
  const save = useSaveSyncJob();
  const [confirming, setConfirming] = useState(false);
  const { values, set, errors } = form;
  const err = (key: string) => errorText(t, errors[key]);
  const connectionOptions = (connections.data?.items ?? []).map((connection) => ({
    value: connection.id,
    label: connection.protected ? `${visibleName(connection.name)} (${t('connections.protected')})` : visibleName(connection.name),
  }));
  const destination = connections.data?.items.find((connection) => connection.id === values.destination_connection_id);
  const destructive = destructiveModesIn(values);

  const doSave = () =>
    save.mutate(
      { ...(job ? { id: job.id } : {}), input: toSyncJobInput(values) },
      {
        onSuccess: (saved) => {
          setConfirming(false);
          onSaved(saved);
        },
        onError: (error) => {
          setConfirming(false);
          form.showServerError(error);
        },
      },
    );

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!form.check()) return;
    // Full and mirror replace or delete destination rows: ask for the job name first.
    if (destructive.length > 0) setConfirming(true);
    else doSave();
  };

  return (
    <form onSubmit={submit} noValidate data-testid="sync-job-form">
      <Stack>
        <JobIdentityFields form={form} err={err} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label={t('syncJobs.fields.source')}
            required
            data={connectionOptions}
            value={values.source_connection_id || null}
            onChange={(value) => {
              set('source_connection_id', value ?? '');
              form.setValues((previous) => ({ ...previous, source_connection_id: value ?? '', schemas: [], tables: [], table_options: {} }));
            }}
            error={err('source_connection_id')}
            searchable
            data-testid="source-select"
          />
          <Select
            label={t('syncJobs.fields.destination')}
            required
            data={connectionOptions}
            value={values.destination_connection_id || null}
            onChange={(value) => set('destination_connection_id', value ?? '')}
            error={err('destination_connection_id')}
            searchable
            data-testid="destination-select"
          />
        </SimpleGrid>
        <Fieldset legend={t('syncJobs.sections.tables')}>
          <TablePicker
            connectionId={values.source_connection_id}
            value={{ schemas: values.schemas, tables: values.tables, table_options: values.table_options }}
            defaultMode={values.default_mode}
            onChange={(picked) => form.setValues((previous) => ({ ...previous, ...picked }))}
            errors={errors}
          />
          {err('selection') ? <Alert color="red" mt="xs">{err('selection')}</Alert> : null}
        </Fieldset>
        <Fieldset legend={t('syncJobs.sections.behaviour')}>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Select
              label={t('syncJobs.fields.defaultMode')}
              data={syncModes.map((mode) => ({ value: mode, label: t(`modes.${mode}`) }))}
              value={values.default_mode}
              onChange={(value) => set('default_mode', (value ?? 'upsert') as SyncJobFormValues['default_mode'])}
              description={t(`modes.help.${values.default_mode}`)}
              error={err('default_mode')}
              allowDeselect={false}
              data-testid="default-mode"
            />
            <Select
              label={t('syncJobs.fields.schemaPolicy')}
              data={schemaPolicies.map((policy) => ({ value: policy, label: t(`schemaPolicies.${policy}`) }))}
              value={values.schema_policy}
              onChange={(value) => set('schema_policy', (value ?? 'create-missing') as SyncJobFormValues['schema_policy'])}
              error={err('schema_policy')}
              allowDeselect={false}
            />
            <NumberInput label={t('syncJobs.fields.parallelism')} min={1} max={64} value={values.parallelism} onChange={(v) => set('parallelism', v === '' ? '' : Number(v))} error={err('parallelism')} />
          </SimpleGrid>
          <Switch mt="sm" label={t('syncJobs.fields.verify')} checked={values.verify} onChange={(e) => set('verify', e.currentTarget.checked)} />
          <Switch mt="sm" label={t('syncJobs.fields.copyOwners')} description={t('syncJobs.fields.copyOwnersHint')} checked={values.copy_owners} onChange={(e) => set('copy_owners', e.currentTarget.checked)} />
          <Switch mt="sm" label={t('syncJobs.fields.copyGrants')} description={t('syncJobs.fields.copyGrantsHint')} checked={values.copy_grants} onChange={(e) => set('copy_grants', e.currentTarget.checked)} />
          {destructive.length > 0 ? (
            <Alert color="orange" mt="sm" variant="light">
              {t('syncJobs.destructiveWarning', { modes: destructive.map((mode) => t(`modes.${mode}`)).join(', '), destination: destination?.name ?? '' })}
            </Alert>
          ) : null}
        </Fieldset>
        <JobScheduleFields form={form} err={err} onCancel={onCancel} saving={save.isPending} />
      </Stack>
      <ConfirmTypedName
        opened={confirming}
        name={values.name.trim()}
        message={t('syncJobs.confirmDestructive', { modes: destructive.map((mode) => t(`modes.${mode}`)).join(', '), destination: destination?.name ?? '' })}
        onConfirm={doSave}
        onClose={() => setConfirming(false)}
        loading={save.isPending}
      />
    </form>
  );
}
