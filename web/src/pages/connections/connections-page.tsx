import { Badge, Button, Group, Modal, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

import { type Connection, connectionPaging, useConnections, useRemoveConnection, useTestConnection } from '../../api/connections.js';
import { EditDeleteButtons } from '../../components/edit-delete-buttons.js';
import { PageHeader } from '../../components/page-header.js';
import { PagerControls } from '../../components/pager-controls.js';
import { Empty, ErrorAlert, QueryState } from '../../components/query-state.js';
import { visibleName } from '../../lib/format.js';
import { useCan } from '../../lib/me-context.js';
import { usePager } from '../../lib/use-pager.js';
import { ConnectionForm } from './connection-form.js';
import { ConnectionTestResult } from './connection-test-result.js';

export default function ConnectionsPage() {
  const { t } = useTranslation();
  const canEdit = useCan('admin');
  const canTest = useCan('operator');
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search, 300);
  const pager = usePager(connectionPaging);
  const list = useConnections({ ...pager.query, ...(debounced ? { search: debounced } : {}) });
  const [editing, setEditing] = useState<Connection | 'new' | null>(null);
  const [testing, setTesting] = useState<Connection | null>(null);
  const test = useTestConnection();
  const remove = useRemoveConnection();

  return (
    <>
      <PageHeader
        title={t('connections.title')}
        description={t('connections.description')}
        actions={
          canEdit ? (
            <Button onClick={() => setEditing('new')} data-testid="connection-new">
              {t('connections.actions.new')}
            </Button>
          ) : null
        }
      />
      <TextInput
        placeholder={t('common.search')}
        value={search}
        onChange={(event) => {
          setSearch(event.currentTarget.value);
          pager.reset();
        }}
        mb="sm"
        maw={320}
      />
      {remove.error ? <ErrorAlert error={remove.error} /> : null}
      <QueryState
        query={list}
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title={t('connections.empty')} description={canEdit ? t('connections.emptyHint') : undefined} />}
      >
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={720}>
              <Table highlightOnHover verticalSpacing="xs" data-testid="connections-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('connections.fields.name')}</Table.Th>
                    <Table.Th>{t('connections.fields.address')}</Table.Th>
                    <Table.Th>{t('connections.fields.username')}</Table.Th>
                    <Table.Th>{t('connections.fields.tags')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((connection) => (
                    <Table.Tr key={connection.id} data-testid={`connection-row-${connection.name}`}>
                      <Table.Td>
                        <Group gap={6}>
                          <Text fw={500}>{visibleName(connection.name)}</Text>
                          {connection.protected ? (
                            <Badge color="red" variant="light" size="sm">
                              {t('connections.protected')}
                            </Badge>
                          ) : null}
                        </Group>
                        {connection.description ? (
                          <Text size="xs" c="dimmed">
                            {connection.description}
                          </Text>
                        ) : null}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" ff="monospace">
                          {connection.host}:{connection.port}/{connection.database}
                        </Text>
                      </Table.Td>
                      <Table.Td>{connection.user}</Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {(connection.tags ?? []).map((tag) => (
                            <Badge key={tag} size="xs" variant="outline">
                              {visibleName(tag)}
                            </Badge>
                          ))}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} justify="flex-end" wrap="nowrap">
{canTest ? (
                          <Button
                            size="xs"
                            variant="light"
                            onClick={() => {
                              setTesting(connection);
                              test.mutate({ id: connection.id });
                            }}
                            data-testid="row-test"
                          >
                            {t('connections.actions.test')}
                          </Button>
) : null}
                          <Button size="xs" variant="subtle" component={Link} to={`/connections/${connection.id}/browse`} data-testid="row-browse">
                            {t('connections.actions.browse')}
                          </Button>
                          <Button size="xs" variant="subtle" component={Link} to={`/connections/${connection.id}/protection`} data-testid="row-protection">
                            {t('protection.action')}
                          </Button>
                          {canEdit ? (
                            <EditDeleteButtons onEdit={() => setEditing(connection)} onDelete={() => remove.mutate(connection.id)} confirmText={t('connections.confirmDelete', { name: connection.name })} editTestId="row-edit" />
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
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('connections.actions.new') : t('connections.actions.edit')}
        size="lg"
      >
        {editing !== null ? (
          <ConnectionForm
            {...(editing !== 'new' ? { connection: editing } : {})}
            onSaved={() => setEditing(null)}
            onCancel={() => setEditing(null)}
          />
        ) : null}
      </Modal>
      <Modal opened={testing !== null} onClose={() => setTesting(null)} title={t('connections.test.title', { name: testing?.name ?? '' })} size="lg">
        {test.isPending ? <Text c="dimmed">{t('connections.test.running')}</Text> : <ConnectionTestResult result={test.data} error={test.error} />}
      </Modal>
    </>
  );
}
