import { Alert, Badge, Button, Checkbox, Group, Modal, PasswordInput, Select, Stack, Switch, Table, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { isOneOf } from '../api/api-schema.js';
import { type Channel, type ChannelEvent, type ChannelField, channelEvents, channelFields, channelKinds, channelPaging, useChannels, useRemoveChannel, useSaveChannel, useTestChannel } from '../api/channels.js';
import { EditDeleteButtons } from '../components/edit-delete-buttons.js';
import { errorText } from '../components/field-error.js';
import { PageHeader } from '../components/page-header.js';
import { PagerControls } from '../components/pager-controls.js';
import { Empty, ErrorAlert, FormErrorAlert, QueryState } from '../components/query-state.js';
import { visibleName } from '../lib/format.js';
import { useCan } from '../lib/me-context.js';
import { useForm } from '../lib/use-form.js';
import { usePager } from '../lib/use-pager.js';
import { type HeaderState, HeadersEditor, headerStateOf, headersPayload, validateHeaders } from './channel-headers.js';

interface ChannelFormValues extends Record<string, unknown> {
  name: string;
  kind: Channel['kind'];
  config: Record<string, string | boolean>;
  events: ChannelEvent[];
  enabled: boolean;
  /** Webhook custom headers (values are write-only). */
  headers: HeaderState;
}

const emailPattern = /^[^\s@]+@[^\s@]+$/;
const formats: Record<NonNullable<ChannelField['format']>, { pattern: RegExp; error: string }> = {
  httpUrl: { pattern: /^https?:\/\/\S+$/i, error: 'validation.httpUrl' },
  serviceUrl: { pattern: /^[a-z][a-z0-9+.-]*:\/\/\S+$/i, error: 'validation.serviceUrl' },
  ntfyTopic: { pattern: /^[-_A-Za-z0-9]{1,64}$/, error: 'validation.ntfyTopic' },
};

/** Mirrors channelConfigSchemas; a stored secret may stay empty on edit. */
export function validateChannel(values: ChannelFormValues, stored: readonly string[] = []) {
  const errors: Record<string, string | undefined> = {};
  if (!values.name.trim()) errors.name = 'validation.required';
  else if (values.name.trim().length > 100) errors.name = 'validation.tooLong100';
  for (const field of channelFields[values.kind]) {
    const raw = values.config[field.name];
    const value = typeof raw === 'string' ? raw.trim() : raw;
    const key = `config.${field.name}`;
    if (field.type === 'boolean') continue;
    if (!value) {
      if (field.required && !(field.type === 'secret' && stored.includes(field.name))) errors[key] = 'validation.required';
      continue;
    }
    const format = field.format ? formats[field.format] : undefined;
    if (format && !format.pattern.test(String(value))) errors[key] = format.error;
    if (field.type === 'number' && !(Number.isInteger(Number(value)) && Number(value) >= 1 && Number(value) <= 65535)) errors[key] = 'validation.port';
    if (field.type === 'emails' && String(value).split(/[,;\s]+/).filter(Boolean).some((item) => !emailPattern.test(item))) errors[key] = 'validation.emails';
  }
  if (values.events.length === 0) errors.events = 'validation.oneEvent';
  if (values.kind === 'webhook') Object.assign(errors, validateHeaders(values.headers));
  return errors;
}

/** Only filled fields are sent; on edit an empty secret means "keep the stored one". */
export function toChannelConfig(values: ChannelFormValues): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const field of channelFields[values.kind]) {
    const raw = values.config[field.name];
    if (field.type === 'boolean') {
      if (raw === true) config[field.name] = true;
      continue;
    }
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (!value) continue;
    if (field.type === 'number') config[field.name] = Number(value);
    else if (field.type === 'emails') config[field.name] = value.split(/[,;\s]+/).filter(Boolean);
    else config[field.name] = value;
  }
  return config;
}

export function ChannelForm({ channel, onDone }: { channel?: Channel; onDone: () => void }) {
  const { t } = useTranslation();
  const stored = channel?.secrets_set ?? [];
  const initialConfig: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(channel?.config ?? {})) {
    initialConfig[key] = typeof value === 'boolean' ? value : Array.isArray(value) ? value.join(', ') : String(value ?? '');
  }
  const form = useForm<ChannelFormValues>(
    {
      name: channel?.name ?? '',
      kind: channel?.kind ?? 'webhook',
      config: initialConfig,
      // The answer's events are plain strings; keep the ones this UI knows.
      events: channel?.events.filter((event) => isOneOf(channelEvents, event)) ?? ['failed'],
      enabled: channel?.enabled ?? true,
      headers: headerStateOf(channel),
    },
    (values) => validateChannel(values, stored),
  );
  const save = useSaveChannel();
  const err = (key: string) => errorText(t, form.errors[key]);
  const setConfig = (name: string, value: string | boolean) => form.set('config', { ...form.values.config, [name]: value });
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!form.check()) return;
        const { name, kind, events, enabled } = form.values;
        const config = toChannelConfig(form.values);
        const headers = kind === 'webhook' ? headersPayload(form.values.headers, Boolean(channel)) : undefined;
        if (headers) config.headers = headers;
        save.mutate(
          { ...(channel ? { id: channel.id } : {}), input: { name: name.trim(), ...(channel ? {} : { kind }), config, events, enabled } },
          { onSuccess: onDone, onError: form.showServerError },
        );
      }}
    >
      <Stack>
        <FormErrorAlert error={form.formError} />
        <TextInput label={t('channels.fields.name')} required value={form.values.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={err('name')} />
        <Select
          label={t('channels.fields.kind')}
          data={channelKinds.map((kind) => ({ value: kind, label: t(`channels.kinds.${kind}`) }))}
          value={form.values.kind}
          onChange={(v) => form.setValues((previous) => ({ ...previous, kind: isOneOf(channelKinds, v) ? v : 'webhook', config: {}, headers: headerStateOf() }))}
          allowDeselect={false}
          disabled={Boolean(channel)}
        />
        {channelFields[form.values.kind].map((field) => {
          const label = t(`channels.config.${field.label ?? field.name}`);
          const help = field.help ? t(`channels.help.${field.help}`) : undefined;
          const value = form.values.config[field.name];
          if (field.type === 'boolean') {
            return <Switch key={field.name} label={label} checked={value === true} onChange={(e) => setConfig(field.name, e.currentTarget.checked)} />;
          }
          if (field.type === 'secret') {
            return (
              <PasswordInput
                key={field.name}
                label={label}
                required={field.required && !stored.includes(field.name)}
                description={stored.includes(field.name) ? [help, t('channels.secretKept')].filter(Boolean).join(' ') : (help ?? t('channels.secretHelpGeneric'))}
                value={typeof value === 'string' ? value : ''}
                onChange={(e) => setConfig(field.name, e.currentTarget.value)}
                error={err(`config.${field.name}`)}
                autoComplete="new-password"
              />
            );
          }
          return (
            <TextInput
              key={field.name}
              label={label}
              required={field.required ?? false}
              description={field.type === 'emails' ? t('channels.emailsHelp') : help}
              value={typeof value === 'string' ? value : ''}
              onChange={(e) => setConfig(field.name, e.currentTarget.value)}
              error={err(`config.${field.name}`)}
            />
          );
        })}
        {form.values.kind === 'webhook' ? <HeadersEditor state={form.values.headers} onChange={(headers) => form.set('headers', headers)} errors={form.errors} /> : null}
        <Checkbox.Group label={t('channels.fields.events')} value={form.values.events} onChange={(v) => form.set('events', v.filter((event) => isOneOf(channelEvents, event)))} error={err('events')}>
          <Group mt={4}>
            {channelEvents.map((event) => (
              <Checkbox key={event} value={event} label={t(`channels.events.${event}`)} />
            ))}
          </Group>
        </Checkbox.Group>
        <Switch label={t('channels.fields.enabled')} checked={form.values.enabled} onChange={(e) => form.set('enabled', e.currentTarget.checked)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function ChannelsPage() {
  const { t } = useTranslation();
  const canEdit = useCan('admin');
  const canTest = useCan('operator');
  const pager = usePager(channelPaging);
  const channels = useChannels(pager.query);
  const test = useTestChannel();
  const remove = useRemoveChannel();
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  return (
    <>
      <PageHeader title={t('channels.title')} description={t('channels.description')} actions={canEdit ? <Button onClick={() => setEditing('new')}>{t('channels.new')}</Button> : null} />
      {test.error ? <ErrorAlert error={test.error} /> : null}
      {test.data ? (
        <Alert color={test.data.delivered ? 'green' : 'red'} mb="sm" withCloseButton onClose={() => test.reset()} data-testid="channel-test-result">
          {test.data.delivered ? t('channels.testSent') : t('channels.testFailed', { error: test.data.error ?? '' })}
          {test.data.response_status !== null ? ` (HTTP ${test.data.response_status})` : ''}
        </Alert>
      ) : null}
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      <QueryState query={channels} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('channels.empty')} />}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={640}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('channels.fields.name')}</Table.Th>
                  <Table.Th>{t('channels.fields.kind')}</Table.Th>
                  <Table.Th>{t('channels.fields.events')}</Table.Th>
                  <Table.Th>{t('channels.fields.enabled')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((channel) => (
                  <Table.Tr key={channel.id}>
                    <Table.Td>{visibleName(channel.name)}</Table.Td>
                    <Table.Td>{t(`channels.kinds.${channel.kind}`, { defaultValue: channel.kind })}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {channel.events.map((event) => (
                          <Badge key={event} size="xs" variant="light">
                            {t(`channels.events.${event}`)}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>{channel.enabled ? t('common.yes') : t('common.no')}</Table.Td>
                    <Table.Td>
                      <Group gap={4} justify="flex-end">
                        {canTest ? (
                          <Button size="xs" variant="light" loading={test.isPending && test.variables?.id === channel.id} onClick={() => test.mutate({ id: channel.id })}>
                            {t('channels.sendTest')}
                          </Button>
                        ) : null}
                        {canEdit ? (
                          <EditDeleteButtons onEdit={() => setEditing(channel)} onDelete={() => remove.mutate(channel.id)} confirmText={t('channels.confirmDelete', { name: channel.name })} />
                        ) : null}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            </Table.ScrollContainer>
            <PagerControls pager={pager} data={data} />
          </>
        )}
      </QueryState>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('channels.new') : t('channels.edit')} size="lg">
        {editing !== null ? <ChannelForm {...(editing !== 'new' ? { channel: editing } : {})} onDone={() => setEditing(null)} /> : null}
      </Modal>
    </>
  );
}
