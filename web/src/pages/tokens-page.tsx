import { Alert, Badge, Button, Code, CopyButton, Group, Modal, NumberInput, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type Role, roles } from '../api/auth.js';
import { isOneOf } from '../api/api-schema.js';
import { useCreateToken, useRevokeToken, useTokens } from '../api/tokens.js';
import { errorText } from '../components/field-error.js';
import { PageHeader } from '../components/page-header.js';
import { PagerControls } from '../components/pager-controls.js';
import { Empty, ErrorAlert, FormErrorAlert, QueryState } from '../components/query-state.js';
import { formatDateTime, visibleName } from '../lib/format.js';
import { useForm } from '../lib/use-form.js';
import { usePager } from '../lib/use-pager.js';

interface TokenFormValues extends Record<string, unknown> {
  name: string;
  role: Role;
  expires_in_days: number | '';
}

const validateToken = (values: TokenFormValues) => ({
  name: !values.name.trim() ? 'validation.required' : values.name.length > 100 ? 'validation.tooLong100' : undefined,
  expires_in_days: values.expires_in_days !== '' && (values.expires_in_days < 1 || values.expires_in_days > 3650) ? 'validation.days3650' : undefined,
});

function TokenForm({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const form = useForm<TokenFormValues>({ name: '', role: 'operator', expires_in_days: 90 }, validateToken);
  const create = useCreateToken();
  const err = (key: string) => errorText(t, form.errors[key]);
  if (create.data) {
    return (
      <Stack>
        <Alert color="yellow">{t('tokens.shownOnce')}</Alert>
        <Code block data-testid="new-token">
          {create.data.token}
        </Code>
        <Group justify="flex-end">
          <CopyButton value={create.data.token}>{({ copied, copy }) => <Button variant="light" onClick={copy}>{copied ? t('common.copied') : t('common.copy')}</Button>}</CopyButton>
          <Button onClick={onDone}>{t('common.done')}</Button>
        </Group>
      </Stack>
    );
  }
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!form.check()) return;
        create.mutate(
          { name: form.values.name.trim(), role: form.values.role, ...(form.values.expires_in_days !== '' ? { expires_in_days: form.values.expires_in_days } : {}) },
          { onError: form.showServerError },
        );
      }}
    >
      <Stack>
        <FormErrorAlert error={form.formError} />
        <TextInput label={t('tokens.fields.name')} required value={form.values.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={err('name')} />
        <Select label={t('tokens.fields.role')} data={roles.map((role) => ({ value: role, label: t(`roles.${role}`) }))} value={form.values.role} onChange={(v) => form.set('role', isOneOf(roles, v) ? v : 'viewer')} allowDeselect={false} />
        <NumberInput label={t('tokens.fields.expiresInDays')} min={1} max={3650} value={form.values.expires_in_days} onChange={(v) => form.set('expires_in_days', v === '' ? '' : Number(v))} error={err('expires_in_days')} placeholder={t('tokens.never')} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending}>
            {t('tokens.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function TokensPage() {
  const { t, i18n } = useTranslation();
  const pager = usePager('page');
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const tokens = useTokens({ ...pager.query, include_revoked: includeRevoked ? 'true' : 'false' });
  const revoke = useRevokeToken();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title={t('tokens.title')} description={t('tokens.description')} actions={<Button onClick={() => setCreating(true)}>{t('tokens.new')}</Button>} />
      <Switch label={t('tokens.includeRevoked')} checked={includeRevoked} onChange={(e) => setIncludeRevoked(e.currentTarget.checked)} mb="sm" />
      {revoke.error ? <ErrorAlert error={revoke.error} /> : null}
      <QueryState query={tokens} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('tokens.empty')} />}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={820}>
            <Table highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('tokens.fields.name')}</Table.Th>
                  <Table.Th>{t('tokens.fields.owner')}</Table.Th>
                  <Table.Th>{t('tokens.fields.role')}</Table.Th>
                  <Table.Th>{t('tokens.fields.prefix')}</Table.Th>
                  <Table.Th>{t('tokens.fields.lastUsed')}</Table.Th>
                  <Table.Th>{t('tokens.fields.expires')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((token) => (
                  <Table.Tr key={token.id}>
                    <Table.Td>{visibleName(token.name)}</Table.Td>
                    <Table.Td>{token.username}</Table.Td>
                    <Table.Td>
                      <Badge variant="light">{t(`roles.${token.role}`)}</Badge>
                    </Table.Td>
                    <Table.Td ff="monospace">{token.token_prefix}…</Table.Td>
                    <Table.Td>{formatDateTime(token.last_used_at, i18n.language)}</Table.Td>
                    <Table.Td>{token.expires_at ? formatDateTime(token.expires_at, i18n.language) : t('tokens.never')}</Table.Td>
                    <Table.Td>
                      {token.revoked_at ? (
                        <Badge color="gray">{t('tokens.revoked')}</Badge>
                      ) : (
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          onClick={() => {
                            if (window.confirm(t('tokens.confirmRevoke', { name: token.name }))) revoke.mutate(token.id);
                          }}
                        >
                          {t('tokens.revoke')}
                        </Button>
                      )}
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
      <Modal opened={creating} onClose={() => setCreating(false)} title={t('tokens.new')}>
        {creating ? <TokenForm onDone={() => setCreating(false)} /> : null}
      </Modal>
      <Text size="xs" c="dimmed" mt="md">
        {t('tokens.cliHint')}
      </Text>
    </>
  );
}
