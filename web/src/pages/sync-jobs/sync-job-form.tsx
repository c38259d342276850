import { Alert, Button, Divider, Fieldset, Group, MultiSelect, NumberInput, Select, SimpleGrid, Stack, Switch, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { useChannels } from '../../api/channels.js';
import { useConnections } from '../../api/connections.js';
import { type SyncJob, schemaPolicies, syncModes, useSaveSyncJob } from '../../api/sync-jobs.js';
import { ConfirmTypedName } from '../../components/confirm-typed-name.js';
import { CronBuilder } from '../../components/cron-builder.js';
import { errorText } from '../../components/field-error.js';
import { TablePicker } from '../../components/table-picker.js';
import { useForm } from '../../lib/use-form.js';
import { type SyncJobFormValues, destructiveModesIn, emptySyncJob, fromSyncJob, toSyncJobInput, validateSyncJob } from './sync-job-validation.js';

/** The sync job form: drop-downs, table picker, schedule, retries, notifications. */
export function SyncJobForm({ job, onSaved, onCancel }: { job?: SyncJob; onSaved: (job: SyncJob) => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const form = useForm<SyncJobFormValues>(job ? fromSyncJob(job) : emptySyncJob, validateSyncJob);
  const connections = useConnections({ page_size: 200 });
  const channels = useChannels({ page_size: 200 });
  const save = useSaveSyncJob();
  const [confirming, setConfirming] = useState(false);
  const { values, set, errors } = form;
  const err = (key: string) => errorText(t, errors[key]);
  const connectionOptions = (connections.data?.items ?? []).map((connection) => ({
    value: connection.id,
    label: connection.protected ? `${connection.name} (${t('connections.protected')})` : connection.name,
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
        {form.formError ? (
          <Alert color="red" role="alert" data-testid="form-error">
            {form.formError}
          </Alert>
        ) : null}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('jobs.fields.name')} required name="name" value={values.name} onChange={(e) => set('name', e.currentTarget.value)} error={err('name')} />
          <Switch label={t('jobs.fields.enabled')} checked={values.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} mt="xl" />
        </SimpleGrid>
        <Textarea label={t('jobs.fields.description')} value={values.description} onChange={(e) => set('description', e.currentTarget.value)} error={err('description')} autosize minRows={1} />
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
          {destructive.length > 0 ? (
            <Alert color="orange" mt="sm" variant="light">
              {t('syncJobs.destructiveWarning', { modes: destructive.map((mode) => t(`modes.${mode}`)).join(', '), destination: destination?.name ?? '' })}
            </Alert>
          ) : null}
        </Fieldset>
        <Fieldset legend={t('jobs.sections.schedule')}>
          <CronBuilder
            cron={values.cron}
            timezone={values.timezone}
            onChange={(cron, timezone) => form.setValues((previous) => ({ ...previous, cron, timezone }))}
            error={err('cron') ?? err('timezone')}
          />
          <Divider my="sm" />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput label={t('jobs.fields.retryMax')} min={0} max={100} value={values.retry_max} onChange={(v) => set('retry_max', v === '' ? '' : Number(v))} error={err('retry_max')} />
            <NumberInput label={t('jobs.fields.retryBackoff')} min={1} max={86400} value={values.retry_backoff_s} onChange={(v) => set('retry_backoff_s', v === '' ? '' : Number(v))} error={err('retry_backoff_s')} />
            <NumberInput label={t('jobs.fields.timeout')} min={1} max={604800} value={values.timeout_s} onChange={(v) => set('timeout_s', v === '' ? '' : Number(v))} error={err('timeout_s')} placeholder={t('jobs.noTimeout')} />
          </SimpleGrid>
        </Fieldset>
        <MultiSelect
          label={t('jobs.fields.channels')}
          data={(channels.data?.items ?? []).map((channel) => ({ value: channel.id, label: channel.name }))}
          value={values.channel_ids}
          onChange={(value) => set('channel_ids', value)}
          error={err('channel_ids')}
          placeholder={channels.isError ? t('jobs.channelsUnavailable') : undefined}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="job-save">
            {t('common.save')}
          </Button>
        </Group>
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
