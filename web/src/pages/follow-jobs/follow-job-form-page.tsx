import { Alert, Anchor, Breadcrumbs, Button, Fieldset, Group, MultiSelect, NumberInput, Select, SimpleGrid, Stack, Switch, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';

import { useChannels } from '../../api/channels.js';
import { useConnections } from '../../api/connections.js';
import { useSaveFollowJob } from '../../api/follow-jobs.js';
import { schemaPolicies } from '../../api/sync-jobs.js';
import { errorText } from '../../components/field-error.js';
import { JobIdentityFields } from '../../components/job-form-sections.js';
import { PageHeader } from '../../components/page-header.js';
import { TablePicker } from '../../components/table-picker.js';
import { visibleName } from '../../lib/format.js';
import { useForm } from '../../lib/use-form.js';
import { type FollowJobFormValues, emptyFollowJob, toFollowJobInput, validateFollowJob } from './follow-job-values.js';

/** Creates a continuous-sync job: the sync job form's connections, tables and rules, plus alert thresholds. */
export default function FollowJobFormPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const form = useForm<FollowJobFormValues>(emptyFollowJob, validateFollowJob);
  const connections = useConnections({ page_size: 200 });
  const channels = useChannels({ page_size: 200 });
  const save = useSaveFollowJob();
  const { values, set, errors } = form;
  const err = (key: string) => errorText(t, errors[key]);
  const connectionOptions = (connections.data?.items ?? [])
    .map((connection) => ({ value: connection.id, label: visibleName(connection.name), disabled: false, protected: connection.protected }))
    .map(({ protected: isProtected, ...option }) => (isProtected ? { ...option, label: `${option.label} (${t('connections.protected')})` } : option));

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!form.check()) return;
    save.mutate({ input: toFollowJobInput(values) }, { onSuccess: (saved) => navigate(`/follow-jobs/${saved.id}`), onError: (error) => form.showServerError(error) });
  };

  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/follow-jobs">
          {t('nav.followJobs')}
        </Anchor>
        <Text>{t('followJobs.new')}</Text>
      </Breadcrumbs>
      <PageHeader title={t('followJobs.new')} description={t('followJobs.newHint')} />
      <form onSubmit={submit} noValidate data-testid="follow-job-form">
        <Stack>
          <JobIdentityFields form={form} err={err} />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label={t('syncJobs.fields.source')}
              required
              data={connectionOptions}
              value={values.source_connection_id || null}
              onChange={(value) => form.setValues((previous) => ({ ...previous, source_connection_id: value ?? '', schemas: [], tables: [], table_options: {} }))}
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
              defaultMode="full"
              onChange={(picked) => form.setValues((previous) => ({ ...previous, ...picked }))}
              errors={errors}
            />
          </Fieldset>
          <Fieldset legend={t('syncJobs.sections.behaviour')}>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select
                label={t('syncJobs.fields.schemaPolicy')}
                data={schemaPolicies.map((policy) => ({ value: policy, label: t(`schemaPolicies.${policy}`) }))}
                value={values.schema_policy}
                onChange={(value) => set('schema_policy', (value ?? 'create-missing') as FollowJobFormValues['schema_policy'])}
                allowDeselect={false}
              />
              <NumberInput label={t('syncJobs.fields.parallelism')} min={1} max={64} value={values.parallelism} onChange={(v) => set('parallelism', v === '' ? '' : Number(v))} error={err('parallelism')} />
            </SimpleGrid>
            <Switch mt="sm" label={t('syncJobs.fields.copyOwners')} checked={values.copy_owners} onChange={(e) => set('copy_owners', e.currentTarget.checked)} />
            <Switch mt="sm" label={t('syncJobs.fields.copyGrants')} checked={values.copy_grants} onChange={(e) => set('copy_grants', e.currentTarget.checked)} />
          </Fieldset>
          <Fieldset legend={t('followJobs.alerts')}>
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <NumberInput label={t('followJobs.retainedAlert')} min={1} value={values.retained_mib_alert} onChange={(v) => set('retained_mib_alert', v === '' ? '' : Number(v))} error={err('retained_mib_alert')} />
              <NumberInput label={t('followJobs.lagAlert')} min={1} value={values.lag_seconds_alert} onChange={(v) => set('lag_seconds_alert', v === '' ? '' : Number(v))} error={err('lag_seconds_alert')} />
              <MultiSelect
                label={t('jobs.fields.channels')}
                data={(channels.data?.items ?? []).map((channel) => ({ value: channel.id, label: visibleName(channel.name) }))}
                value={values.channel_ids}
                onChange={(ids) => set('channel_ids', ids)}
              />
            </SimpleGrid>
          </Fieldset>
          {save.isError ? null : <Alert variant="light">{t('followJobs.slotWarning')}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => navigate('/follow-jobs')}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="save-follow-job">
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </>
  );
}
