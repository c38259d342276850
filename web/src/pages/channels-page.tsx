import { Alert, Badge, Button, Checkbox, Group, Modal, PasswordInput, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type Channel, channelEvents, channelKinds, useChannels, useRemoveChannel, useSaveChannel, useTestChannel } from '../api/channels.js';
import { errorText } from '../components/field-error.js';
import { PageHeader } from '../components/page-header.js';
import { PagerControls } from '../components/pager-controls.js';
import { Empty, ErrorAlert, QueryState } from '../components/query-state.js';
import { useCan } from '../lib/me-context.js';
import { useForm } from '../lib/use-form.js';
import { usePager } from '../lib/use-pager.js';

/** Config fields each kind needs (non-secret); the secret goes in its own write-only field. */
export const channelConfigFields: Record<string, string[]> = {
  webhook: ['url'],
  slack: ['url'],
  dingtalk: ['url'],
  wecom: ['url'],
  feishu: ['url'],
  teams: ['url'],
  telegram: ['chat_id'],
  email: ['to', 'from'],
};

interface ChannelFormValues extends Record<string, unknown> {
  name: string;
  kind: string;
  config: Record<string, string>;
  secret: string;
  events: string[];
  enabled: boolean;
}

export function validateChannel(values: ChannelFormValues) {
  const errors: Record<string, string | undefined> = {};
  if (!values.name.trim()) errors.name = 'validation.required';
  else if (values.name.length > 100) errors.name = 'validation.tooLong100';
  for (const field of channelConfigFields[values.kind] ?? []) {
    const value = values.config[field]?.trim() ?? '';
    if (!value) errors[`config.${field}`] = 'validation.required';
    else if (field === 'url' && !/^https?:\/\//i.test(value)) errors[`config.${field}`] = 'validation.httpUrl';
  }
  if (values.events.length === 0) errors.events = 'validation.oneEvent';
  return errors;
}

function ChannelForm({ channel, onDone }: { channel?: Channel; onDone: () => void }) {
  const { t } = useTranslation();
  const form = useForm<ChannelFormValues>(
    {
      name: channel?.name ?? '',
      kind: channel?.kind ?? 'webhook',
      config: Object.fromEntries(Object.entries(channel?.config ?? {}).map(([key, value]) => [key, String(value ?? '')])),
      secret: '',
      events: channel?.events ?? ['failed'],
      enabled: channel?.enabled ?? true,
    },
    validateChannel,
  );
  const save = useSaveChannel();
  const err = (key: string) => errorText(t, form.errors[key]);
  const fields = channelConfigFields[form.values.kind] ?? [];
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!form.check()) return;
        const { name, kind, config, secret, events, enabled } = form.values;
        const kept = Object.fromEntries(fields.map((field) => [field, config[field]?.trim() ?? '']));
        save.mutate(
          { ...(channel ? { id: channel.id } : {}), input: { name: name.trim(), kind, config: kept, events, enabled, ...(secret ? { secret } : {}) } },
          { onSuccess: onDone, onError: form.showServerError },
        );
      }}
    >
      <Stack>
        {form.formError ? <Alert color="red">{form.formError}</Alert> : null}
        <TextInput label={t('channels.fields.name')} required value={form.values.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={err('name')} />
        <Select label={t('channels.fields.kind')} data={channelKinds.map((kind) => ({ value: kind, label: t(`channels.kinds.${kind}`) }))} value={form.values.kind} onChange={(v) => form.set('kind', v ?? 'webhook')} allowDeselect={false} disabled={Boolean(channel)} />
        {fields.map((field) => (
          <TextInput
            key={field}
            label={t(`channels.config.${field}`)}
            required
            value={form.values.config[field] ?? ''}
            onChange={(e) => {
              const value = e.currentTarget.value;
              form.set('config', { ...form.values.config, [field]: value });
            }}
            error={err(`config.${field}`)}
          />
        ))}
        <PasswordInput
          label={t('channels.fields.secret')}
          description={channel?.has_secret ? t('channels.secretKept') : t(`channels.secretHelp.${form.values.kind}`, { defaultValue: t('channels.secretHelpGeneric') })}
          value={form.values.secret}
          onChange={(e) => form.set('secret', e.currentTarget.value)}
          error={err('secret')}
          autoComplete="new-password"
        />
        <Checkbox.Group label={t('channels.fields.events')} value={form.values.events} onChange={(v) => form.set('events', v)} error={err('events')}>
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
  const pager = usePager();
  const channels = useChannels(pager.query);
  const test = useTestChannel();
  const remove = useRemoveChannel();
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  return (
    <>
      <PageHeader title={t('channels.title')} description={t('channels.description')} actions={canEdit ? <Button onClick={() => setEditing('new')}>{t('channels.new')}</Button> : null} />
      {test.error ? <ErrorAlert error={test.error} /> : null}
      {test.isSuccess ? (
        <Alert color="green" mb="sm" withCloseButton onClose={() => test.reset()}>
          {t('channels.testSent')}
        </Alert>
      ) : null}
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      <QueryState query={channels} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('channels.empty')} />}>
        {(data) => (
          <>
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
                    <Table.Td>{channel.name}</Table.Td>
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
                        {canEdit ? (
                          <>
                            <Button size="xs" variant="light" loading={test.isPending && test.variables?.id === channel.id} onClick={() => test.mutate({ id: channel.id })}>
                              {t('channels.sendTest')}
                            </Button>
                            <Button size="xs" variant="subtle" onClick={() => setEditing(channel)}>
                              {t('common.edit')}
                            </Button>
                            <Button
                              size="xs"
                              variant="subtle"
                              color="red"
                              onClick={() => {
                                if (window.confirm(t('channels.confirmDelete', { name: channel.name }))) remove.mutate(channel.id);
                              }}
                            >
                              {t('common.delete')}
                            </Button>
                          </>
                        ) : (
                          <Text size="xs" c="dimmed" />
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
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
