import { Badge, Code, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { useAuditLog } from '../api/audit-log.js';
import { PageHeader } from '../components/page-header.js';
import { PagerControls } from '../components/pager-controls.js';
import { Empty, QueryState } from '../components/query-state.js';
import { formatDateTime } from '../lib/format.js';
import { usePager } from '../lib/use-pager.js';

function isoOrUndefined(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export default function AuditLogPage() {
  const { t, i18n } = useTranslation();
  const pager = usePager('cursor', 50);
  const [filters, setFilters] = useState({ actor: '', action: '', resource_type: '', actor_type: '', from: '', to: '' });
  const [debounced] = useDebouncedValue(filters, 300);
  const log = useAuditLog({
    ...pager.query,
    actor: debounced.actor || undefined,
    action: debounced.action || undefined,
    resource_type: debounced.resource_type || undefined,
    actor_type: debounced.actor_type || undefined,
    from: isoOrUndefined(debounced.from),
    to: isoOrUndefined(debounced.to),
  });
  const set = (key: keyof typeof filters, value: string) => {
    setFilters((previous) => ({ ...previous, [key]: value }));
    pager.reset();
  };
  return (
    <>
      <PageHeader title={t('audit.title')} description={t('audit.description')} />
      <Group mb="sm" gap="xs" align="flex-end">
        <TextInput label={t('audit.fields.actor')} value={filters.actor} onChange={(e) => set('actor', e.currentTarget.value)} w={150} />
        <Select
          label={t('audit.fields.actorType')}
          data={['user', 'token', 'system', 'anonymous'].map((value) => ({ value, label: t(`audit.actorTypes.${value}`) }))}
          value={filters.actor_type || null}
          onChange={(value) => set('actor_type', value ?? '')}
          clearable
          w={140}
        />
        <TextInput label={t('audit.fields.action')} placeholder="connection.*" value={filters.action} onChange={(e) => set('action', e.currentTarget.value)} w={170} />
        <TextInput label={t('audit.fields.resource')} value={filters.resource_type} onChange={(e) => set('resource_type', e.currentTarget.value)} w={150} />
        <TextInput type="datetime-local" label={t('audit.fields.from')} value={filters.from} onChange={(e) => set('from', e.currentTarget.value)} />
        <TextInput type="datetime-local" label={t('audit.fields.to')} value={filters.to} onChange={(e) => set('to', e.currentTarget.value)} />
      </Group>
      <QueryState query={log} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('audit.empty')} />}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={900}>
              <Table fz="sm" verticalSpacing={6} data-testid="audit-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('audit.fields.at')}</Table.Th>
                    <Table.Th>{t('audit.fields.actor')}</Table.Th>
                    <Table.Th>{t('audit.fields.action')}</Table.Th>
                    <Table.Th>{t('audit.fields.resource')}</Table.Th>
                    <Table.Th>{t('audit.fields.status')}</Table.Th>
                    <Table.Th>{t('audit.fields.ip')}</Table.Th>
                    <Table.Th>{t('audit.fields.body')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((entry) => (
                    <Table.Tr key={entry.id}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(entry.at, i18n.language)}</Table.Td>
                      <Table.Td>
                        {entry.actor_name ?? '—'}{' '}
                        <Text span size="xs" c="dimmed">
                          {t(`audit.actorTypes.${entry.actor_type}`, { defaultValue: entry.actor_type })}
                        </Text>
                      </Table.Td>
                      <Table.Td ff="monospace">{entry.action}</Table.Td>
                      <Table.Td data-testid="audit-resource">
                        {entry.resource_type ? (
                          <Text span size="xs" c="dimmed">
                            {t(`audit.resourceTypes.${entry.resource_type}`, { defaultValue: entry.resource_type })}{' '}
                          </Text>
                        ) : null}
                        {entry.resource_name ? <Text span fw={500} data-untranslated="data">{entry.resource_name}</Text> : null}
                        {entry.resource_id ? (
                          // The id stays visible (and copyable) for deleted resources and for searching.
                          <Text size="xs" c="dimmed" ff="monospace" title={entry.resource_id} data-untranslated="code">
                            {entry.resource_name ? entry.resource_id.slice(0, 8) : entry.resource_id}
                          </Text>
                        ) : null}
                      </Table.Td>
                      <Table.Td>{entry.status ? <Badge color={entry.status < 400 ? 'green' : 'red'} variant="light">{entry.status}</Badge> : '—'}</Table.Td>
                      <Table.Td ff="monospace" fz="xs">
                        {entry.ip ?? ''}
                      </Table.Td>
                      <Table.Td maw={320}>
                        {entry.request_body ? (
                          <details>
                            <summary>{t('audit.showBody')}</summary>
                            <Code block fz="xs">
                              {JSON.stringify(entry.request_body, null, 2)}
                            </Code>
                          </details>
                        ) : null}
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
    </>
  );
}
