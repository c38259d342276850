import { Badge, Button, Checkbox, Group, Modal, MultiSelect, Paper, ScrollArea, Select, Stack, Table, TagsInput, Text, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { parseRuleText } from '../../../src/engine/sync/rule-grammar.js';
import { type TableInfo, useSchemas, useTableDetail, useTables } from '../api/connections.js';
import { type SyncMode, type TableOption, syncModes } from '../api/sync-jobs.js';
import { formatBytes, formatNumber } from '../lib/format.js';
import { QueryState } from './query-state.js';

export interface TablePickerValue {
  schemas: string[];
  tables: string[];
  table_options: Record<string, TableOption>;
}

/** The i18n key of what is wrong with a rule, by the grammar the server uses (src/engine/sync/rule-grammar.ts). */
export function columnRuleError(rule: string): string | undefined {
  if (!rule.trim()) return undefined;
  const parsed = parseRuleText(rule);
  if (parsed.ok) return undefined;
  return parsed.problem === 'unknown' ? 'validation.columnRule' : 'validation.columnRuleArgument';
}

function keyOf(table: TableInfo): string[] | null {
  return table.primary_key.length > 0 ? table.primary_key : null;
}

function SchemaTables({
  connectionId,
  schema,
  selected,
  onToggle,
}: {
  connectionId: string;
  schema: string;
  selected: string[];
  onToggle: (names: string[], on: boolean) => void;
}) {
  const { t, i18n } = useTranslation();
  const tables = useTables(connectionId, schema);
  return (
    <Paper withBorder p="xs">
      <QueryState query={tables} isEmpty={(data) => data.length === 0}>
        {(data) => {
          const names = data.map((table) => `${schema}.${table.name}`);
          const all = names.every((name) => selected.includes(name));
          return (
            <>
              <Group justify="space-between" mb={4}>
                <Text fw={600} size="sm">
                  {schema}
                </Text>
                <Checkbox size="xs" label={t('picker.all')} checked={all} onChange={(event) => onToggle(names, event.currentTarget.checked)} />
              </Group>
              <Table fz="xs" verticalSpacing={2}>
                <Table.Tbody>
                  {data.map((table) => {
                    const name = `${schema}.${table.name}`;
                    const key = keyOf(table);
                    return (
                      <Table.Tr key={name}>
                        <Table.Td w={28}>
                          <Checkbox
                            size="xs"
                            aria-label={name}
                            data-testid={`pick-${name}`}
                            checked={selected.includes(name)}
                            onChange={(event) => onToggle([name], event.currentTarget.checked)}
                          />
                        </Table.Td>
                        <Table.Td ff="monospace">{table.name}</Table.Td>
                        <Table.Td ta="right">{formatNumber(table.estimated_rows, i18n.language)}</Table.Td>
                        <Table.Td ta="right">{formatBytes(table.total_bytes, i18n.language)}</Table.Td>
                        <Table.Td>
                          {key || table.has_primary_key || table.has_unique_key ? (
                            <Text size="xs" c="dimmed" ff="monospace">
                              {key?.join(', ') ?? t('browse.uniqueKey')}
                            </Text>
                          ) : (
                            <Badge size="xs" color="orange" variant="light">
                              {t('browse.noKey')}
                            </Badge>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </>
          );
        }}
      </QueryState>
    </Paper>
  );
}

function TableOptionsEditor({
  connectionId,
  table,
  option,
  defaultMode,
  onSave,
  onClose,
}: {
  connectionId: string;
  table: string;
  option: TableOption;
  defaultMode: SyncMode;
  onSave: (option: TableOption) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [schema, name] = table.includes('.') ? [table.slice(0, table.indexOf('.')), table.slice(table.indexOf('.') + 1)] : ['public', table];
  const detail = useTableDetail(connectionId, schema, name);
  const columnNames = (detail.data?.columns ?? []).map((column) => column.name);
  const [draft, setDraft] = useState<TableOption>(option);
  const [rules, setRules] = useState<{ column: string; rule: string }[]>(
    Object.entries(option.columns ?? {}).map(([column, rule]) => ({ column, rule })),
  );
  const mode = draft.mode ?? defaultMode;
  const cursorMissing = mode === 'incremental' && !draft.cursor_column;
  return (
    <Stack>
      <Select
        label={t('picker.mode')}
        data={[{ value: '', label: t('picker.defaultMode', { mode: t(`modes.${defaultMode}`) }) }, ...syncModes.map((value) => ({ value, label: t(`modes.${value}`) }))]}
        value={draft.mode ?? ''}
        onChange={(value) => setDraft({ ...draft, ...(value ? { mode: value as SyncMode } : { mode: undefined }) })}
        description={t(`modes.help.${mode}`)}
        data-testid="table-mode"
      />
      <TagsInput
        label={t('picker.key')}
        description={t('picker.keyHelp')}
        data={columnNames}
        value={draft.key ?? []}
        onChange={(value) => setDraft({ ...draft, key: value })}
      />
      <Select
        label={t('picker.cursor')}
        description={t('picker.cursorHelp')}
        data={columnNames}
        value={draft.cursor_column ?? null}
        onChange={(value) => setDraft({ ...draft, ...(value ? { cursor_column: value } : { cursor_column: undefined }) })}
        error={cursorMissing ? t('validation.cursorNeeded') : undefined}
        clearable
        searchable
      />
      <Textarea
        label={t('picker.where')}
        description={t('picker.whereHelp')}
        placeholder="created_at > now() - interval '30 days'"
        value={draft.where ?? ''}
        onChange={(event) => setDraft({ ...draft, where: event.currentTarget.value })}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        autosize
        minRows={2}
      />
      <Stack gap={4}>
        <Text size="sm" fw={500}>
          {t('picker.columnRules')}
        </Text>
        <Text size="xs" c="dimmed">
          {t('picker.columnRulesHelp')}
        </Text>
        {rules.map((rule, index) => (
          <Group key={index} gap="xs" wrap="nowrap">
            <Select
              aria-label={t('browse.column')}
              data={columnNames}
              value={rule.column || null}
              onChange={(value) => setRules(rules.map((item, i) => (i === index ? { ...item, column: value ?? '' } : item)))}
              searchable
              w={180}
            />
            <TextInput
              aria-label={t('picker.rule')}
              placeholder="null | hash | email | name | value:N/A | truncate:20 | sql:upper(x)"
              value={rule.rule}
              error={columnRuleError(rule.rule) ? t(columnRuleError(rule.rule) as string) : undefined}
              onChange={(event) => {
                const value = event.currentTarget.value;
                setRules(rules.map((item, i) => (i === index ? { ...item, rule: value } : item)));
              }}
              style={{ flex: 1 }}
            />
            <Button variant="subtle" color="red" size="xs" onClick={() => setRules(rules.filter((_, i) => i !== index))}>
              ✕
            </Button>
          </Group>
        ))}
        <Group>
          <Button size="xs" variant="light" onClick={() => setRules([...rules, { column: '', rule: '' }])}>
            {t('picker.addRule')}
          </Button>
        </Group>
      </Stack>
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          {t('common.cancel')}
        </Button>
        <Button
          disabled={cursorMissing || rules.some((rule) => Boolean(columnRuleError(rule.rule)))}
          onClick={() => onSave({ ...draft, columns: Object.fromEntries(rules.filter((r) => r.column && r.rule).map((r) => [r.column, r.rule])) })}
          data-testid="table-options-save"
        >
          {t('common.apply')}
        </Button>
      </Group>
    </Stack>
  );
}

/** Schemas and tables from browsing the source, and per-table options. */
export function TablePicker({
  connectionId,
  value,
  defaultMode,
  onChange,
  errors,
}: {
  connectionId: string;
  value: TablePickerValue;
  defaultMode: SyncMode;
  onChange: (value: TablePickerValue) => void;
  errors?: Record<string, string | undefined>;
}) {
  const { t } = useTranslation();
  const schemas = useSchemas(connectionId || undefined);
  const [editing, setEditing] = useState<string | null>(null);
  if (!connectionId) {
    return (
      <Text c="dimmed" size="sm">
        {t('picker.pickSource')}
      </Text>
    );
  }
  const toggle = (names: string[], on: boolean) => {
    const set = new Set(value.tables);
    for (const name of names) {
      if (on) set.add(name);
      else set.delete(name);
    }
    onChange({ ...value, tables: [...set].sort() });
  };
  return (
    <Stack gap="sm" data-testid="table-picker">
      <QueryState query={schemas} isEmpty={(data) => data.length === 0}>
        {(data) => (
          <MultiSelect
            label={t('picker.schemas')}
            description={t('picker.schemasHelp')}
            data={data.map((schema) => schema.name)}
            value={value.schemas}
            onChange={(next) => onChange({ ...value, schemas: next, tables: value.tables.filter((table) => next.some((s) => table.startsWith(`${s}.`))) })}
            searchable
            data-testid="picker-schemas"
          />
        )}
      </QueryState>
      <ScrollArea.Autosize mah={360}>
        <Stack gap="xs">
          {value.schemas.map((schema) => (
            <SchemaTables key={schema} connectionId={connectionId} schema={schema} selected={value.tables} onToggle={toggle} />
          ))}
        </Stack>
      </ScrollArea.Autosize>
      {value.tables.length > 0 ? (
        <Table.ScrollContainer minWidth={560}>
        <Table fz="sm" data-testid="picked-tables">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('picker.selected', { count: value.tables.length })}</Table.Th>
              <Table.Th>{t('picker.mode')}</Table.Th>
              <Table.Th>{t('picker.options')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {value.tables.map((table) => {
              const option = value.table_options[table] ?? {};
              const error = errors?.[`table_options.${table}`];
              return (
                <Table.Tr key={table}>
                  <Table.Td ff="monospace">{table}</Table.Td>
                  <Table.Td>
                    {t(`modes.${option.mode ?? defaultMode}`)}
                    {error ? (
                      <Text size="xs" c="red">
                        {error.startsWith('validation.') ? t(error) : error}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {option.key?.length ? <Badge size="xs">{t('picker.key')}</Badge> : null}
                      {option.cursor_column ? <Badge size="xs">{t('picker.cursor')}</Badge> : null}
                      {option.where ? <Badge size="xs">WHERE</Badge> : null}
                      {Object.keys(option.columns ?? {}).length ? <Badge size="xs">{t('picker.columnRules')}</Badge> : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Button size="compact-xs" variant="subtle" onClick={() => setEditing(table)} data-testid={`options-${table}`}>
                      {t('picker.edit')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
        </Table.ScrollContainer>
      ) : value.schemas.length > 0 ? (
        <Text size="xs" c="dimmed">
          {t('picker.wholeSchemas')}
        </Text>
      ) : null}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={t('picker.optionsFor', { table: editing ?? '' })} size="lg">
        {editing ? (
          <TableOptionsEditor
            connectionId={connectionId}
            table={editing}
            option={value.table_options[editing] ?? {}}
            defaultMode={defaultMode}
            onClose={() => setEditing(null)}
            onSave={(option) => {
              onChange({ ...value, table_options: { ...value.table_options, [editing]: option } });
              setEditing(null);
            }}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}
