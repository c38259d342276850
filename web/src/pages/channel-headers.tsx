import { Button, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { Channel } from '../api/channels.js';
import { errorText } from '../components/field-error.js';

/**
 * A webhook's custom headers. Their values are secrets the API never returns: a stored header
 * shows its name and an empty value that keeps it; the PATCH sends only new values and `null`
 * for removed headers (the API keeps every header left out).
 */
export interface HeaderRow {
  name: string;
  value: string;
  /** Stored on the server: its value may stay empty (kept), its name is fixed. */
  stored: boolean;
}

export interface HeaderState {
  rows: HeaderRow[];
  /** Stored headers the user removed: sent as null. */
  removed: string[];
}

const headerName = /^[A-Za-z0-9-]{1,100}$/;

export function headerStateOf(channel?: Pick<Channel, 'headers'>): HeaderState {
  return { rows: (channel?.headers ?? []).map((header) => ({ name: header.name, value: '', stored: true })), removed: [] };
}

/** Errors keyed `headers.<index>.name|value`, mirroring the API's rules. */
export function validateHeaders(state: HeaderState): Record<string, string> {
  const errors: Record<string, string> = {};
  const seen = new Set<string>();
  state.rows.forEach((row, index) => {
    const name = row.name.trim();
    if (!headerName.test(name)) errors[`headers.${index}.name`] = 'validation.headerName';
    else if (seen.has(name.toLowerCase())) errors[`headers.${index}.name`] = 'validation.headerDuplicate';
    seen.add(name.toLowerCase());
    if (!row.stored && row.value === '') errors[`headers.${index}.value`] = 'validation.required';
    if (row.value.length > 1000) errors[`headers.${index}.value`] = 'validation.tooLong1000';
  });
  return errors;
}

/**
 * What to send as `config.headers`: on create every header; on edit only new values and
 * removals (undefined when nothing changed, so the stored headers stay as they are).
 */
export function headersPayload(state: HeaderState, editing: boolean): Record<string, string | null> | undefined {
  const payload: Record<string, string | null> = {};
  if (editing) for (const name of state.removed) payload[name] = null;
  for (const row of state.rows) if (row.value !== '') payload[row.name.trim()] = row.value;
  return Object.keys(payload).length > 0 ? payload : undefined;
}

export function HeadersEditor({ state, onChange, errors }: { state: HeaderState; onChange: (state: HeaderState) => void; errors: Record<string, string | undefined> }) {
  const { t } = useTranslation();
  const setRow = (index: number, change: Partial<HeaderRow>) => onChange({ ...state, rows: state.rows.map((row, i) => (i === index ? { ...row, ...change } : row)) });
  const remove = (index: number) => {
    const row = state.rows[index];
    onChange({ rows: state.rows.filter((_, i) => i !== index), removed: row?.stored ? [...state.removed, row.name] : state.removed });
  };
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {t('channels.headers.label')}
      </Text>
      <Text size="xs" c="dimmed">
        {t('channels.headers.help')}
      </Text>
      {state.rows.map((row, index) => (
        <Group key={index} align="flex-start" wrap="nowrap" data-testid="channel-header-row">
          <TextInput
            aria-label={t('channels.headers.name')}
            placeholder={t('channels.headers.name')}
            value={row.name}
            disabled={row.stored}
            onChange={(e) => setRow(index, { name: e.currentTarget.value })}
            error={errorText(t, errors[`headers.${index}.name`])}
            style={{ flex: 1 }}
          />
          <PasswordInput
            aria-label={t('channels.headers.value')}
            placeholder={row.stored ? t('channels.headers.kept') : t('channels.headers.value')}
            value={row.value}
            onChange={(e) => setRow(index, { value: e.currentTarget.value })}
            error={errorText(t, errors[`headers.${index}.value`])}
            autoComplete="new-password"
            style={{ flex: 1 }}
          />
          <Button variant="subtle" color="red" onClick={() => remove(index)}>
            {t('channels.headers.remove')}
          </Button>
        </Group>
      ))}
      <Group>
        <Button size="xs" variant="light" onClick={() => onChange({ ...state, rows: [...state.rows, { name: '', value: '', stored: false }] })}>
          {t('channels.headers.add')}
        </Button>
      </Group>
    </Stack>
  );
}
