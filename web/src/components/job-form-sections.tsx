import { Button, Divider, Fieldset, Group, MultiSelect, NumberInput, SimpleGrid, Switch, TextInput, Textarea } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { useChannels } from '../api/channels.js';
import { CronBuilder } from './cron-builder.js';
import { FormErrorAlert } from './query-state.js';

/** Fields every job form has (sync and backup jobs alike). */
export interface CommonJobValues {
  name: string;
  description: string;
  enabled: boolean;
  cron: string | null;
  timezone: string;
  retry_max: number | '';
  retry_backoff_s: number | '';
  timeout_s: number | '';
  channel_ids: string[];
}

/** The part of `useForm` the shared sections use (methods, so any job form's `useForm` fits). */
export interface CommonJobForm {
  values: CommonJobValues;
  formError: unknown;
  set<K extends keyof CommonJobValues>(key: K, value: CommonJobValues[K]): void;
}

type ErrorOf = (key: string) => string | undefined;
const numberOrBlank = (value: string | number) => (value === '' ? '' : Number(value));

/** Server error, name, enabled switch and description: the top of a job form. */
export function JobIdentityFields({ form, err }: { form: CommonJobForm; err: ErrorOf }) {
  const { t } = useTranslation();
  const { values, set } = form;
  return (
    <>
      <FormErrorAlert error={form.formError} />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput label={t('jobs.fields.name')} required name="name" value={values.name} onChange={(e) => set('name', e.currentTarget.value)} error={err('name')} />
        <Switch label={t('jobs.fields.enabled')} checked={values.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} mt="xl" />
      </SimpleGrid>
      <Textarea label={t('jobs.fields.description')} value={values.description} onChange={(e) => set('description', e.currentTarget.value)} error={err('description')} autosize minRows={1} />
    </>
  );
}

/** Schedule, retries, timeout, notification channels and the cancel/save buttons: the bottom of a job form. */
export function JobScheduleFields({ form, err, onCancel, saving }: { form: CommonJobForm; err: ErrorOf; onCancel: () => void; saving: boolean }) {
  const { t } = useTranslation();
  const channels = useChannels({ page_size: 200 });
  const { values, set } = form;
  return (
    <>
      <Fieldset legend={t('jobs.sections.schedule')}>
        <CronBuilder
          cron={values.cron}
          timezone={values.timezone}
          onChange={(cron, timezone) => {
            set('cron', cron);
            set('timezone', timezone);
          }}
          error={err('cron') ?? err('timezone')}
        />
        <Divider my="sm" />
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <NumberInput label={t('jobs.fields.retryMax')} min={0} max={100} value={values.retry_max} onChange={(v) => set('retry_max', numberOrBlank(v))} error={err('retry_max')} />
          <NumberInput label={t('jobs.fields.retryBackoff')} min={1} max={86400} value={values.retry_backoff_s} onChange={(v) => set('retry_backoff_s', numberOrBlank(v))} error={err('retry_backoff_s')} />
          <NumberInput label={t('jobs.fields.timeout')} min={1} max={604800} value={values.timeout_s} onChange={(v) => set('timeout_s', numberOrBlank(v))} error={err('timeout_s')} placeholder={t('jobs.noTimeout')} />
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
        <Button type="submit" loading={saving} data-testid="job-save">
          {t('common.save')}
        </Button>
      </Group>
    </>
  );
}
