import { Group, List, NumberInput, SegmentedControl, Select, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type CronParts, type CronPreset, checkCron, cronFromParts, describeCron, nextFireTimes, partsFromCron } from '../lib/cron.js';
import { formatDateTime } from '../lib/format.js';

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

export interface CronBuilderProps {
  cron: string | null;
  timezone: string;
  onChange: (cron: string | null, timezone: string) => void;
  /** A server error for the cron field, shown under the expression. */
  error?: string | undefined;
}

/** Presets or a raw expression, with a human description and the next five fire times. */
export function CronBuilder({ cron, timezone, onChange, error }: CronBuilderProps) {
  const { t, i18n } = useTranslation();
  const [parts, setParts] = useState<CronParts>(() => partsFromCron(cron ?? '0 2 * * *'));
  const zones = useMemo(timeZones, []);
  const scheduled = cron !== null;
  const expression = cron ?? '';
  const check = scheduled ? checkCron(expression, timezone) : { ok: true };
  const description = scheduled && check.ok ? describeCron(expression, i18n.language) : '';
  const next = scheduled && check.ok ? nextFireTimes(expression, timezone, 5) : [];

  const update = (patch: Partial<CronParts>) => {
    const merged = { ...parts, ...patch };
    setParts(merged);
    const built = cronFromParts(merged);
    if (built !== null) onChange(built, timezone);
  };

  const weekdays = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ value: String(day), label: t(`cron.weekdays.${day}`) }));
  const localError =
    !check.ok && 'errorKey' in check && check.errorKey
      ? t(check.errorKey, { ...check.params, field: typeof check.params?.field === 'string' ? t(`cron.fieldNames.${check.params.field}`) : '' })
      : undefined;

  return (
    <Stack gap="xs" data-testid="cron-builder">
      <Switch
        label={t('cron.scheduled')}
        checked={scheduled}
        onChange={(event) => onChange(event.currentTarget.checked ? (cronFromParts(parts) ?? '0 2 * * *') : null, timezone)}
      />
      {scheduled ? (
        <>
          <SegmentedControl
            aria-label={t('cron.preset')}
            value={parts.preset}
            onChange={(value) => update({ preset: value as CronPreset })}
            data={(['hourly', 'daily', 'weekly', 'monthly', 'custom'] as const).map((preset) => ({
              value: preset,
              label: t(`cron.presets.${preset}`),
            }))}
          />
          {parts.preset !== 'custom' ? (
            <Group gap="xs" align="flex-end">
              {parts.preset === 'weekly' ? (
                <Select label={t('cron.weekday')} data={weekdays} value={String(parts.weekday)} onChange={(value) => update({ weekday: Number(value ?? 1) })} w={140} allowDeselect={false} />
              ) : null}
              {parts.preset === 'monthly' ? (
                <NumberInput label={t('cron.day')} min={1} max={28} value={parts.day} onChange={(value) => update({ day: Number(value) || 1 })} w={100} />
              ) : null}
              {parts.preset !== 'hourly' ? (
                <NumberInput label={t('cron.hour')} min={0} max={23} value={parts.hour} onChange={(value) => update({ hour: Math.min(23, Math.max(0, Number(value) || 0)) })} w={100} />
              ) : null}
              <NumberInput label={t('cron.minute')} min={0} max={59} value={parts.minute} onChange={(value) => update({ minute: Math.min(59, Math.max(0, Number(value) || 0)) })} w={100} />
            </Group>
          ) : null}
          <Group gap="xs" align="flex-start" grow>
            <TextInput
              label={t('cron.expression')}
              description={t('cron.expressionHelp')}
              value={expression}
              readOnly={parts.preset !== 'custom'}
              onChange={(event) => onChange(event.currentTarget.value, timezone)}
              error={error ?? localError}
              data-testid="cron-expression"
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
            <Select
              label={t('cron.timezone')}
              data={zones}
              value={timezone}
              searchable
              allowDeselect={false}
              onChange={(value) => onChange(cron, value ?? 'UTC')}
            />
          </Group>
          {check.ok ? (
            <Stack gap={4} data-testid="cron-preview">
              <Text size="sm" fw={500} data-testid="cron-description">
                {description}
              </Text>
              <Text size="xs" c="dimmed">
                {t('cron.nextRuns', { timezone })}
              </Text>
              <List size="sm" spacing={2} data-testid="cron-next">
                {next.map((date) => (
                  <List.Item key={date.toISOString()}>{formatDateTime(date, i18n.language, timezone)}</List.Item>
                ))}
              </List>
            </Stack>
          ) : null}
        </>
      ) : (
        <>
          <Text size="sm" c="dimmed">
            {t('cron.manualOnly')}
          </Text>
          {error ? (
            <Text size="sm" c="red">
              {error}
            </Text>
          ) : null}
        </>
      )}
    </Stack>
  );
}
