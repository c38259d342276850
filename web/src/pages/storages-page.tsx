import { Alert, Button, Group, Modal, PasswordInput, SegmentedControl, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { ApiError } from '../api/http.js';
import { type Storage, storagePaging, useInitStorage, useRemoveStorage, useSaveStorage, useStorages, useTestStorage } from '../api/storages.js';
import { EditDeleteButtons } from '../components/edit-delete-buttons.js';
import { errorText } from '../components/field-error.js';
import { PageHeader } from '../components/page-header.js';
import { PagerControls } from '../components/pager-controls.js';
import { Empty, ErrorAlert, FormErrorAlert, QueryState } from '../components/query-state.js';
import { formatBytes, visibleName } from '../lib/format.js';
import { useCan } from '../lib/me-context.js';
import { useForm } from '../lib/use-form.js';
import { usePager } from '../lib/use-pager.js';

interface StorageFormValues extends Record<string, unknown> {
  name: string;
  kind: Storage['kind'];
  path: string;
  bucket: string;
  prefix: string;
  region: string;
  endpoint: string;
  access_key_id: string;
  public_endpoint: string;
  secret_access_key: string;
  encryption_secret: string;
  force_path_style: boolean;
}

export function validateStorage(values: StorageFormValues) {
  const errors: Record<string, string | undefined> = {};
  if (!values.name.trim()) errors.name = 'validation.required';
  else if (values.name.length > 100) errors.name = 'validation.tooLong100';
  if (values.kind === 'local' && !values.path.trim()) errors['config.path'] = 'validation.required';
  if (values.kind === 's3') {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(values.bucket)) errors['config.bucket'] = 'validation.bucket';
    if (values.endpoint && !/^https?:\/\//.test(values.endpoint)) errors['config.endpoint'] = 'validation.httpUrl';
    if (values.public_endpoint && !/^https?:\/\//.test(values.public_endpoint)) errors['config.public_endpoint'] = 'validation.httpUrl';
  }
  return errors;
}

/** The save answered that the directory does not exist: the path it named, to offer "Create it". */
function missingPath(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.code !== 'PGF_STORAGE_PATH_MISSING') return null;
  return typeof error.details?.path === 'string' ? error.details.path : null;
}

function StorageForm({ storage, onCancel, onSaved }: { storage?: Storage; onCancel: () => void; onSaved: (saved: Storage) => void }) {
  const { t } = useTranslation();
  const config = storage?.config ?? {};
  const str = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : '');
  const form = useForm<StorageFormValues>(
    {
      name: storage?.name ?? '',
      kind: storage?.kind ?? 'local',
      path: str('path'),
      bucket: str('bucket'),
      prefix: str('prefix'),
      region: str('region'),
      endpoint: str('endpoint'),
      access_key_id: str('access_key_id'),
      public_endpoint: str('public_endpoint'),
      secret_access_key: '',
      encryption_secret: '',
      force_path_style: config.force_path_style === true,
    },
    validateStorage,
  );
  const save = useSaveStorage();
  const err = (key: string) => errorText(t, form.errors[key] ?? form.errors[`config.${key}`]);
  const { values, set } = form;
  const absentPath = missingPath(form.formError);
  const submit = (create: boolean) => {
    if (!form.check()) return;
    const cfg: Record<string, unknown> =
      values.kind === 'local'
        ? { path: values.path.trim() }
        : {
            bucket: values.bucket,
            ...(values.prefix ? { prefix: values.prefix } : {}),
            ...(values.region ? { region: values.region } : {}),
            ...(values.endpoint ? { endpoint: values.endpoint } : {}),
            ...(values.access_key_id ? { access_key_id: values.access_key_id } : {}),
            ...(values.public_endpoint ? { public_endpoint: values.public_endpoint } : {}),
            force_path_style: values.force_path_style,
          };
    // Secrets left empty are kept by the API (omitted, never sent as "").
    const secrets = {
      ...(values.kind === 's3' && values.secret_access_key ? { secret_access_key: values.secret_access_key } : {}),
      ...(values.encryption_secret ? { encryption_secret: values.encryption_secret } : {}),
    };
    save.mutate(
      { ...(storage ? { id: storage.id } : {}), input: { name: values.name.trim(), kind: values.kind, config: cfg, ...secrets, ...(create ? { create } : {}) } },
      { onSuccess: onSaved, onError: form.showServerError },
    );
  };
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit(false);
      }}
    >
      <Stack>
        {absentPath !== null ? (
          <Alert color="yellow" data-testid="storage-path-missing">
            <Group justify="space-between" wrap="nowrap">
              <Text size="sm">{t('storages.pathMissing', { path: absentPath })}</Text>
              <Button size="xs" loading={save.isPending} onClick={() => submit(true)} data-testid="storage-create-dir">
                {t('storages.createIt')}
              </Button>
            </Group>
          </Alert>
        ) : (
          <FormErrorAlert error={form.formError} />
        )}
        <TextInput label={t('storages.fields.name')} required name="name" value={values.name} onChange={(e) => set('name', e.currentTarget.value)} error={err('name')} />
        <SegmentedControl value={values.kind} onChange={(v) => set('kind', v as Storage['kind'])} data={[{ value: 'local', label: t('storages.kinds.local') }, { value: 's3', label: t('storages.kinds.s3') }]} disabled={Boolean(storage)} />
        {values.kind === 'local' ? (
          <TextInput label={t('storages.fields.path')} required name="path" value={values.path} onChange={(e) => set('path', e.currentTarget.value)} error={err('path')} placeholder="/var/lib/pgferry/backups" />
        ) : (
          <>
            <TextInput label={t('storages.fields.bucket')} required value={values.bucket} onChange={(e) => set('bucket', e.currentTarget.value)} error={err('bucket')} />
            <TextInput label={t('storages.fields.prefix')} value={values.prefix} onChange={(e) => set('prefix', e.currentTarget.value)} error={err('prefix')} />
            <Group grow>
              <TextInput label={t('storages.fields.region')} value={values.region} onChange={(e) => set('region', e.currentTarget.value)} error={err('region')} />
              <TextInput label={t('storages.fields.endpoint')} value={values.endpoint} onChange={(e) => set('endpoint', e.currentTarget.value)} error={err('endpoint')} />
            </Group>
            <TextInput label={t('storages.fields.accessKey')} value={values.access_key_id} onChange={(e) => set('access_key_id', e.currentTarget.value)} error={err('access_key_id')} />
            <PasswordInput label={t('storages.fields.secretKey')} description={storage?.has_secret_access_key ? t('storages.secretKept') : undefined} value={values.secret_access_key} onChange={(e) => set('secret_access_key', e.currentTarget.value)} error={err('secret_access_key')} autoComplete="new-password" />
            <TextInput label={t('storages.fields.publicEndpoint')} description={t('storages.publicEndpointHelp')} value={values.public_endpoint} onChange={(e) => set('public_endpoint', e.currentTarget.value)} error={err('public_endpoint')} />
            <Switch label={t('storages.fields.pathStyle')} checked={values.force_path_style} onChange={(e) => set('force_path_style', e.currentTarget.checked)} />
          </>
        )}
        <PasswordInput
          label={t('storages.fields.encryptionSecret')}
          description={storage?.has_encryption_secret ? t('storages.secretKept') : t('storages.encryptionHelp')}
          value={values.encryption_secret}
          onChange={(e) => set('encryption_secret', e.currentTarget.value)}
          error={err('encryption_secret')}
          autoComplete="new-password"
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
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

export default function StoragesPage() {
  const { t, i18n } = useTranslation();
  const canEdit = useCan('admin');
  const canTest = useCan('operator');
  const pager = usePager(storagePaging);
  const storages = useStorages(pager.query);
  const test = useTestStorage();
  const init = useInitStorage();
  const remove = useRemoveStorage();
  const tested = test.variables?.id;
  const [editing, setEditing] = useState<Storage | 'new' | null>(null);
  return (
    <>
      <PageHeader title={t('storages.title')} description={t('storages.description')} actions={canEdit ? <Button onClick={() => setEditing('new')} data-testid="storage-new">{t('storages.new')}</Button> : null} />
      {test.error ? <ErrorAlert error={test.error} /> : null}
      {init.error ? <ErrorAlert error={init.error} /> : null}
      {test.data ? (
        <Alert color={test.data.ok ? 'green' : 'red'} mb="sm" withCloseButton onClose={() => test.reset()} title={test.data.ok ? t('storages.testOk') : t('storages.testFailed')} data-testid="storage-test-result">
          {test.data.missing ? (
            <Group justify="space-between" wrap="nowrap">
              <Text size="sm">{t('storages.missing', { target: test.data.target })}</Text>
              {canEdit && tested ? (
                <Button size="xs" loading={init.isPending} onClick={() => init.mutate({ id: tested }, { onSuccess: () => test.mutate({ id: tested }) })} data-testid="storage-init">
                  {t('storages.createIt')}
                </Button>
              ) : null}
            </Group>
          ) : (
            <Text size="sm" data-untranslated="server">
              {test.data.message}
            </Text>
          )}
          <Text size="xs" c="dimmed" ff="monospace">
            {test.data.target} · {test.data.latencyMs} ms{test.data.freeBytes !== undefined ? ` · ${t('storages.free', { size: formatBytes(test.data.freeBytes, i18n.language) })}` : ''}
          </Text>
        </Alert>
      ) : null}
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      <QueryState query={storages} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('storages.empty')} />}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={640}>
            <Table highlightOnHover data-testid="storages-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('storages.fields.name')}</Table.Th>
                  <Table.Th>{t('storages.fields.kind')}</Table.Th>
                  <Table.Th>{t('storages.fields.location')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((storage) => (
                  <Table.Tr key={storage.id} data-testid={`storage-row-${storage.name}`}>
                    <Table.Td>{visibleName(storage.name)}</Table.Td>
                    <Table.Td>{t(`storages.kinds.${storage.kind}`)}</Table.Td>
                    <Table.Td ff="monospace" fz="sm">
                      {storage.kind === 'local' ? String(storage.config.path ?? '') : `s3://${String(storage.config.bucket ?? '')}/${String(storage.config.prefix ?? '')}`}
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} justify="flex-end">
                        {canTest ? (
                          <Button size="xs" variant="light" loading={test.isPending && test.variables?.id === storage.id} onClick={() => test.mutate({ id: storage.id })} data-testid="storage-test">
                            {t('storages.test')}
                          </Button>
                        ) : null}
                        {canEdit ? (
                          <EditDeleteButtons onEdit={() => setEditing(storage)} onDelete={() => remove.mutate(storage.id)} confirmText={t('storages.confirmDelete', { name: storage.name })} />
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
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('storages.new') : t('storages.edit')} size="lg">
        {editing !== null ? (
          <StorageForm
            {...(editing !== 'new' ? { storage: editing } : {})}
            onCancel={() => setEditing(null)}
            onSaved={(saved) => {
              setEditing(null);
              // Test on save: S3 settings are only proven by a request, and a local directory's free space shows at once.
              if (canTest) test.mutate({ id: saved.id });
            }}
          />
        ) : null}
      </Modal>
    </>
  );
}
