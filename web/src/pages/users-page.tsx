import { Badge, Button, Group, Modal, PasswordInput, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type Role, roles } from '../api/auth.js';
import { isOneOf } from '../api/api-schema.js';
import { type User, useSaveUser, useUsers } from '../api/users.js';
import { errorText } from '../components/field-error.js';
import { PageHeader } from '../components/page-header.js';
import { PagerControls } from '../components/pager-controls.js';
import { Empty, ErrorAlert, FormErrorAlert, QueryState } from '../components/query-state.js';
import { formatDateTime, visibleName } from '../lib/format.js';
import { useForm } from '../lib/use-form.js';
import { usePager } from '../lib/use-pager.js';

interface UserFormValues extends Record<string, unknown> {
  username: string;
  display_name: string;
  role: Role;
  password: string;
}

export function validateUser(values: UserFormValues, creating: boolean) {
  return {
    username: !creating ? undefined : !values.username ? 'validation.required' : /^[A-Za-z0-9_.@-]{1,100}$/.test(values.username) ? undefined : 'validation.username',
    display_name: values.display_name.length > 200 ? 'validation.tooLong200' : undefined,
    password: creating && !values.password ? 'validation.required' : values.password && values.password.length < 12 ? 'validation.password12' : undefined,
  };
}

function UserForm({ user, onDone }: { user?: User; onDone: () => void }) {
  const { t } = useTranslation();
  const creating = !user;
  const form = useForm<UserFormValues>(
    { username: user?.username ?? '', display_name: user?.display_name ?? '', role: user?.role ?? 'viewer', password: '' },
    (values) => validateUser(values, creating),
  );
  const save = useSaveUser();
  const err = (key: string) => errorText(t, form.errors[key]);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!form.check()) return;
    const { username, display_name, role, password } = form.values;
    const input = creating
      ? { username, display_name: display_name || null, role, password }
      : { display_name: display_name || null, role, ...(password ? { password } : {}) };
    save.mutate({ ...(user ? { id: user.id } : {}), input }, { onSuccess: onDone, onError: form.showServerError });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <FormErrorAlert error={form.formError} />
        <TextInput label={t('users.fields.username')} value={form.values.username} disabled={!creating} onChange={(e) => form.set('username', e.currentTarget.value)} error={err('username')} required />
        <TextInput label={t('users.fields.displayName')} value={form.values.display_name} onChange={(e) => form.set('display_name', e.currentTarget.value)} error={err('display_name')} />
        <Select label={t('users.fields.role')} data={roles.map((role) => ({ value: role, label: t(`roles.${role}`) }))} value={form.values.role} onChange={(v) => form.set('role', isOneOf(roles, v) ? v : 'viewer')} allowDeselect={false} error={err('role')} />
        <PasswordInput
          label={creating ? t('users.fields.password') : t('users.fields.newPassword')}
          description={t('users.passwordHelp')}
          value={form.values.password}
          onChange={(e) => form.set('password', e.currentTarget.value)}
          error={err('password')}
          autoComplete="new-password"
          required={creating}
        />
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

export default function UsersPage() {
  const { t, i18n } = useTranslation();
  const pager = usePager('page');
  const users = useUsers(pager.query);
  const save = useSaveUser();
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  return (
    <>
      <PageHeader title={t('users.title')} description={t('users.description')} actions={<Button onClick={() => setEditing('new')}>{t('users.new')}</Button>} />
      {save.error ? <ErrorAlert error={save.error} /> : null}
      <QueryState query={users} isEmpty={(data) => data.items.length === 0} empty={<Empty />}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={640}>
            <Table highlightOnHover data-testid="users-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('users.fields.username')}</Table.Th>
                  <Table.Th>{t('users.fields.role')}</Table.Th>
                  <Table.Th>{t('users.fields.lastLogin')}</Table.Th>
                  <Table.Th>{t('users.fields.state')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.items.map((user) => {
                  const disabled = user.disabled;
                  return (
                    <Table.Tr key={user.id}>
                      <Table.Td>
                        <Text fw={500}>{user.username}</Text>
                        {user.display_name ? (
                          <Text size="xs" c="dimmed">
                            {visibleName(user.display_name)}
                          </Text>
                        ) : null}
                      </Table.Td>
                      <Table.Td>
                        <Badge variant="light">{t(`roles.${user.role}`)}</Badge>
                      </Table.Td>
                      <Table.Td>{formatDateTime(user.last_login_at, i18n.language)}</Table.Td>
                      <Table.Td>{disabled ? <Badge color="gray">{t('users.disabled')}</Badge> : <Badge color="green">{t('users.active')}</Badge>}</Table.Td>
                      <Table.Td>
                        <Group gap={4} justify="flex-end">
                          <Button size="xs" variant="subtle" onClick={() => setEditing(user)}>
                            {t('common.edit')}
                          </Button>
                          <Button size="xs" variant="subtle" color={disabled ? 'green' : 'red'} onClick={() => save.mutate({ id: user.id, input: { disabled: !disabled } })}>
                            {disabled ? t('users.enable') : t('users.disable')}
                          </Button>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
            </Table.ScrollContainer>
            <PagerControls pager={pager} data={data} />
          </>
        )}
      </QueryState>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? t('users.new') : t('users.edit')}>
        {editing !== null ? <UserForm {...(editing !== 'new' ? { user: editing } : {})} onDone={() => setEditing(null)} /> : null}
      </Modal>
    </>
  );
}
