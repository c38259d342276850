import { Anchor, Badge, Breadcrumbs, Grid, NavLink, Paper, ScrollArea, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';

import { type TableInfo, useConnection, useSchemas, useTableDetail, useTables } from '../../api/connections.js';
import { Empty, QueryState } from '../../components/query-state.js';
import { formatBytes, formatNumber } from '../../lib/format.js';

function tableKey(table: TableInfo): string[] | null {
  return table.primary_key.length > 0 ? table.primary_key : null;
}

function hasKey(table: TableInfo): boolean {
  return table.has_primary_key || table.has_unique_key;
}

/** Schemas → tables (rows, size, key) → columns of a saved connection. */
export default function ConnectionBrowsePage() {
  const { t, i18n } = useTranslation();
  const { id } = useParams();
  const connection = useConnection(id);
  const [schema, setSchema] = useState<string>();
  const [table, setTable] = useState<string>();
  const schemas = useSchemas(id);
  const tables = useTables(id, schema);
  const detail = useTableDetail(id, schema, table);

  return (
    <>
      <Breadcrumbs mb="sm">
        <Anchor component={Link} to="/connections">
          {t('nav.connections')}
        </Anchor>
        <Text>{connection.data?.name ?? '…'}</Text>
        {schema ? <Text>{schema}</Text> : null}
        {table ? <Text>{table}</Text> : null}
      </Breadcrumbs>
      <Title order={2} mb="md">
        {t('browse.title', { name: connection.data?.name ?? '' })}
      </Title>
      <Grid>
        <Grid.Col span={{ base: 12, md: 3, xl: 2 }}>
          <Paper withBorder p="xs">
            <Text fw={600} size="sm" mb="xs">
              {t('browse.schemas')}
            </Text>
            <QueryState query={schemas} isEmpty={(data) => data.length === 0} empty={<Empty title={t('browse.noSchemas')} />}>
              {(data) => (
                <ScrollArea.Autosize mah={520}>
                  {data.map((item) => (
                    <NavLink
                      key={item.name}
                      label={item.name}
                      active={item.name === schema}
                      rightSection={item.table_count !== undefined ? <Badge size="xs">{item.table_count}</Badge> : null}
                      onClick={() => {
                        setSchema(item.name);
                        setTable(undefined);
                      }}
                      data-testid={`schema-${item.name}`}
                    />
                  ))}
                </ScrollArea.Autosize>
              )}
            </QueryState>
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 9, xl: 5 }}>
          <Paper withBorder p="xs">
            <Text fw={600} size="sm" mb="xs">
              {t('browse.tables')}
            </Text>
            {!schema ? (
              <Text c="dimmed" size="sm">
                {t('browse.pickSchema')}
              </Text>
            ) : (
              <QueryState query={tables} isEmpty={(data) => data.length === 0} empty={<Empty title={t('browse.noTables')} />}>
                {(data) => (
                  <Table.ScrollContainer minWidth={460}>
                  <Table highlightOnHover fz="sm" data-testid="browse-tables">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('browse.table')}</Table.Th>
                        <Table.Th ta="right">{t('browse.rows')}</Table.Th>
                        <Table.Th ta="right">{t('browse.size')}</Table.Th>
                        <Table.Th>{t('browse.key')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {data.map((item) => (
                        <Table.Tr
                          key={item.name}
                          onClick={() => setTable(item.name)}
                          style={{ cursor: 'pointer' }}
                          bg={item.name === table ? 'var(--mantine-primary-color-light)' : undefined}
                          data-testid={`table-${item.name}`}
                        >
                          <Table.Td>
                            {item.name}
                            {item.kind === 'partitioned' ? (
                              <Badge size="xs" ml={4} variant="outline">
                                {t('browse.partitioned')}
                              </Badge>
                            ) : null}
                          </Table.Td>
                          <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                            {formatNumber(item.estimated_rows, i18n.language)}
                          </Table.Td>
                          <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                            {formatBytes(item.total_bytes, i18n.language)}
                          </Table.Td>
                          <Table.Td>
                            {hasKey(item) ? (
                              <Text size="xs" ff="monospace">
                                {tableKey(item)?.join(', ') ?? t('browse.uniqueKey')}
                              </Text>
                            ) : (
                              <Badge color="orange" size="xs" variant="light">
                                {t('browse.noKey')}
                              </Badge>
                            )}
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                  </Table.ScrollContainer>
                )}
              </QueryState>
            )}
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, xl: 5 }}>
          <Paper withBorder p="xs">
            <Text fw={600} size="sm" mb="xs">
              {t('browse.columns')}
            </Text>
            {!table ? (
              <Text c="dimmed" size="sm">
                {t('browse.pickTable')}
              </Text>
            ) : (
              <QueryState query={detail}>
                {(data) => (
                  <>
                    <Table.ScrollContainer minWidth={420}>
                    <Table fz="sm" data-testid="browse-columns">
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>{t('browse.column')}</Table.Th>
                          <Table.Th>{t('browse.type')}</Table.Th>
                          <Table.Th>{t('browse.nullable')}</Table.Th>
                          <Table.Th>{t('browse.default')}</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {data.columns.map((column) => (
                          <Table.Tr key={column.name}>
                            <Table.Td ff="monospace">{column.name}</Table.Td>
                            <Table.Td ff="monospace" fz="xs">
                              {column.data_type}
                            </Table.Td>
                            <Table.Td>{column.nullable ? t('common.yes') : t('common.no')}</Table.Td>
                            <Table.Td ff="monospace" fz="xs">
                              {column.default ?? (column.identity ? `identity ${column.identity}` : '')}
                            </Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                    </Table.ScrollContainer>
                    {data.keys.length > 0 ? (
                      <Text size="xs" mt="xs">
                        <b>{t('browse.keys')}:</b>{' '}
                        {data.keys.map((key) => `${key.kind === 'primary' ? 'PK' : 'UNIQUE'} (${key.columns.join(', ')})`).join(' · ')}
                      </Text>
                    ) : null}
                    {data.foreign_keys.length > 0 ? (
                      <Text size="xs" mt={4}>
                        <b>{t('browse.foreignKeys')}:</b>{' '}
                        {data.foreign_keys
                          .map((fk) => `(${fk.columns.join(', ')}) → ${fk.referenced_schema}.${fk.referenced_table} (${fk.referenced_columns.join(', ')})`)
                          .join(' · ')}
                      </Text>
                    ) : null}
                  </>
                )}
              </QueryState>
            )}
          </Paper>
        </Grid.Col>
      </Grid>
    </>
  );
}
