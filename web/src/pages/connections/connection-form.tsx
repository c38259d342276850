import { Button, Group, NumberInput, PasswordInput, SegmentedControl, Select, SimpleGrid, Stack, Switch, TagsInput, TextInput, Textarea } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { isOneOf } from '../../api/api-schema.js';
import { type Connection, sslModes, useSaveConnection, useTestConnection } from '../../api/connections.js';
import { errorText } from '../../components/field-error.js';
import { useForm } from '../../lib/use-form.js';
import { ConnectionTestResult } from './connection-test-result.js';
import { fieldsFromUrl, urlFromFields } from './connection-url.js';
import { type ConnectionFormValues, emptyConnection, toConnectionInput, validateConnection } from './connection-validation.js';
import { FormErrorAlert } from '../../components/query-state.js';

const serverName: Record<string, string> = { username: 'user', connect_timeout_s: 'connect_timeout' };

function fromConnection(connection: Connection | undefined): ConnectionFormValues {
  if (!connection) return emptyConnection;
  return {
    ...emptyConnection,
    name: connection.name,
    description: connection.description ?? '',
    host: connection.host,
    port: connection.port,
    database: connection.database,
    username: connection.user,
    sslmode: connection.sslmode,
    application_name: connection.application_name ?? '',
    connect_timeout_s: connection.connect_timeout ?? '',
    protected: connection.protected,
    tags: connection.tags ?? [],
  };
}

/** Create or edit a connection, as a URL or as fields; "Test" checks the unsaved values. */
export function ConnectionForm({ connection, onSaved, onCancel }: { connection?: Connection; onSaved: (saved: Connection) => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const form = useForm<ConnectionFormValues>(fromConnection(connection), validateConnection);
  const save = useSaveConnection();
  const test = useTestConnection();
  const { values, errors } = form;
  // A test result describes the values it was run with: any change makes it stale.
  const set: typeof form.set = (key, value) => {
    form.set(key, value);
    test.reset();
  };
  /** Switching keeps what was typed: the URL is parsed into the fields, the fields build the URL. */
  const switchMode = (mode: 'url' | 'fields') => {
    if (mode === values.inputMode) return;
    const fields = mode === 'fields' ? fieldsFromUrl(values.url) : null;
    const url = mode === 'url' ? urlFromFields(values) : '';
    form.setValues((previous) => ({ ...previous, ...(fields ?? {}), ...(mode === 'url' && url ? { url } : {}), inputMode: mode }));
    form.setErrors({});
    test.reset();
  };
  // The API names these fields differently from the form state.
  const err = (key: string) => errorText(t, errors[key] ?? errors[serverName[key] ?? '']);

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!form.check()) return;
    save.mutate(
      { ...(connection ? { id: connection.id } : {}), input: toConnectionInput(values) },
      { onSuccess: onSaved, onError: form.showServerError },
    );
  };

  const runTest = () => {
    if (!form.check()) return;
    // Unchanged saved connection: test it by id so the stored password is used.
    const useSaved = connection && !values.password && values.inputMode === 'fields';
    test.mutate(useSaved ? { id: connection.id } : { input: toConnectionInput(values) });
  };

  return (
    <form onSubmit={submit} noValidate data-testid="connection-form">
      <Stack>
        <FormErrorAlert error={form.formError} />
        <TextInput label={t('connections.fields.name')} required value={values.name} onChange={(e) => set('name', e.currentTarget.value)} error={err('name')} name="name" />
        <SegmentedControl
          value={values.inputMode}
          onChange={(value) => switchMode(value as 'url' | 'fields')}
          data={[
            { value: 'fields', label: t('connections.form.byFields') },
            { value: 'url', label: t('connections.form.byUrl') },
          ]}
          data-testid="connection-input-mode"
        />
        {values.inputMode === 'url' ? (
          <TextInput
            label={t('connections.fields.url')}
            description={t('connections.form.urlHelp')}
            placeholder="postgres://USER:PASSWORD@host:5432/db?sslmode=prefer"
            value={values.url}
            onChange={(e) => set('url', e.currentTarget.value)}
            error={err('url')}
            name="url"
          />
        ) : (
          <>
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <TextInput label={t('connections.fields.host')} required value={values.host} onChange={(e) => set('host', e.currentTarget.value)} error={err('host')} name="host" style={{ gridColumn: 'span 2' }} />
              <NumberInput label={t('connections.fields.port')} required min={1} max={65535} value={values.port} onChange={(v) => set('port', v === '' ? '' : Number(v))} error={err('port')} name="port" />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label={t('connections.fields.database')} required value={values.database} onChange={(e) => set('database', e.currentTarget.value)} error={err('database')} name="database" />
              <TextInput label={t('connections.fields.username')} required value={values.username} onChange={(e) => set('username', e.currentTarget.value)} error={err('username')} name="username" />
              <PasswordInput
                label={t('connections.fields.password')}
                description={connection?.has_password ? t('connections.form.passwordKept') : undefined}
                value={values.password}
                onChange={(e) => set('password', e.currentTarget.value)}
                error={err('password')}
                name="password"
                autoComplete="new-password"
              />
              <Select label={t('connections.fields.sslmode')} data={[...sslModes]} value={values.sslmode} onChange={(v) => set('sslmode', isOneOf(sslModes, v) ? v : 'prefer')} error={err('sslmode')} allowDeselect={false} />
              <TextInput label={t('connections.fields.applicationName')} value={values.application_name} onChange={(e) => set('application_name', e.currentTarget.value)} error={err('application_name')} />
              <NumberInput label={t('connections.fields.connectTimeout')} min={1} max={600} value={values.connect_timeout_s} onChange={(v) => set('connect_timeout_s', v === '' ? '' : Number(v))} error={err('connect_timeout_s')} />
            </SimpleGrid>
          </>
        )}
        <Textarea label={t('connections.fields.description')} value={values.description} onChange={(e) => set('description', e.currentTarget.value)} error={err('description')} autosize minRows={1} />
        <TagsInput label={t('connections.fields.tags')} value={values.tags} onChange={(v) => set('tags', v)} error={err('tags')} />
        <Switch
          label={t('connections.fields.protected')}
          description={t('connections.form.protectedHelp')}
          checked={values.protected}
          onChange={(e) => set('protected', e.currentTarget.checked)}
          data-testid="protected-switch"
        />
        <ConnectionTestResult result={test.data} error={test.error} />
        <Group justify="space-between">
          <Button variant="light" onClick={runTest} loading={test.isPending} data-testid="connection-test">
            {t('connections.actions.test')}
          </Button>
          <Group gap="xs">
            <Button variant="default" onClick={onCancel}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending} data-testid="connection-save">
              {t('common.save')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}
