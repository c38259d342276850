import { Anchor, Badge, Breadcrumbs, Button, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';

import { useConnection } from '../../api/connections.js';
import { type Protection, useProtection, useProtectionTimeline, useSetProtection } from '../../api/protection.js';
import { useStorages } from '../../api/storages.js';
import { ErrorBody } from '../../components/error-body.js';
import { Empty, QueryState } from '../../components/query-state.js';
import { formatBytes, formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/me-context.js';
import { ProtectionRestoreWizard } from './protection-restore-wizard.js';

const gib = 1024 ** 3;

function Figure({ label, value, testId, alarm }: { label: string; value: string; testId: string; alarm?: boolean }) {
  return (
    <Paper withBorder p="sm" data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fz={20} fw={700} c={alarm ? 'red' : undefined}>
        {value}
      </Text>
    </Paper>
  );
}

/** Turn protection on (or change it): storage and thresholds. */
function ProtectionForm({ connectionId, current }: { connectionId: string; current: Protection | null }) {
  const { t } = useTranslation();
  const storages = useStorages({ page_size: 500 });
  const save = useSetProtection();
  const [storage, setStorage] = useState<string | null>(current?.enabled ? current.storage_id : null);
  const [lag, setLag] = useState<number | string>(current?.lag_seconds_alert ?? 300);
  const [retained, setRetained] = useState<number | string>(current?.retained_bytes_alert ? current.retained_bytes_alert / gib : 10);
  const [drillCron, setDrillCron] = useState(current?.drill_cron ?? '');
  const [drillTimezone, setDrillTimezone] = useState(current?.drill_timezone ?? 'UTC');
  const [keepLast, setKeepLast] = useState<number | string>(current?.keep_last ?? '');
  const [keepDaily, setKeepDaily] = useState<number | string>(current?.keep_daily ?? '');
  const [keepWeekly, setKeepWeekly] = useState<number | string>(current?.keep_weekly ?? '');
  const [keepMonthly, setKeepMonthly] = useState<number | string>(current?.keep_monthly ?? '');
  const keep = (value: number | string) => (Number(value) > 0 ? Number(value) : null);
  return (
    <Stack gap="xs">
      <Group align="end">
        <Select
          label={t('protection.storage')}
          data={(storages.data?.items ?? []).map((item) => ({ value: item.id, label: item.name }))}
          value={storage}
          onChange={setStorage}
          data-testid="protection-storage"
        />
        <NumberInput label={t('protection.lagThreshold')} value={lag} onChange={setLag} min={1} suffix=" s" w={160} />
        <NumberInput label={t('protection.retainedThreshold')} value={retained} onChange={setRetained} min={1} suffix=" GiB" w={160} />
        <Button
          disabled={!storage}
          loading={save.isPending}
          data-testid="protection-enable"
          onClick={() =>
            save.mutate({
              id: connectionId,
              input: {
                storage: storage ?? '',
                lag_seconds_alert: Number(lag) || null,
                retained_bytes_alert: Number(retained) ? Math.round(Number(retained) * gib) : null,
                drill_cron: drillCron.trim() === '' ? null : drillCron.trim(),
                drill_timezone: drillTimezone.trim() || 'UTC',
                keep_last: keep(keepLast),
                keep_daily: keep(keepDaily),
                keep_weekly: keep(keepWeekly),
                keep_monthly: keep(keepMonthly),
              },
            })
          }
        >
          {current?.enabled ? t('protection.save') : t('protection.enable')}
        </Button>
      </Group>
      <Group align="end">
        <TextInput label={t('protection.drillCron')} description={t('protection.drillCronHint')} placeholder="0 3 * * 0" value={drillCron} onChange={(event) => setDrillCron(event.currentTarget.value)} w={200} data-testid="protection-drill-cron" />
        <TextInput label={t('protection.drillTimezone')} value={drillTimezone} onChange={(event) => setDrillTimezone(event.currentTarget.value)} w={160} />
        <NumberInput label={t('protection.keepLast')} value={keepLast} onChange={setKeepLast} min={1} w={110} data-testid="protection-keep-last" />
        <NumberInput label={t('protection.keepDaily')} value={keepDaily} onChange={setKeepDaily} min={1} w={110} />
        <NumberInput label={t('protection.keepWeekly')} value={keepWeekly} onChange={setKeepWeekly} min={1} w={110} />
        <NumberInput label={t('protection.keepMonthly')} value={keepMonthly} onChange={setKeepMonthly} min={1} w={110} />
      </Group>
      {current?.drill_next_fire_at ? <Text size="sm" c="dimmed">{t('protection.nextDrill', { at: current.drill_next_fire_at })}</Text> : null}
      {save.error ? <ErrorBody error={save.error} /> : null}
    </Stack>
  );
}

/** Per connection: continuous protection on/off, lag, retained WAL and the restorable window. */
export default function ConnectionProtectionPage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { id } = useParams();
  const connection = useConnection(id);
  const protection = useProtection(id);
  const active = protection.data?.enabled === true;
  const timeline = useProtectionTimeline(id, active);
  const toggle = useSetProtection();
  const canEdit = useCan('admin');
  const current = protection.data ?? null;
  const progress = current?.progress ?? null;

  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/connections">
          {t('nav.connections')}
        </Anchor>
        <Text>{connection.data?.name ?? '…'}</Text>
      </Breadcrumbs>
      <Group justify="space-between">
        <Title order={2}>{t('protection.title', { name: connection.data?.name ?? '' })}</Title>
        <Badge size="lg" color={active ? (current?.streaming ? 'teal' : 'orange') : 'gray'} data-testid="protection-state">
          {active ? (current?.streaming ? t('protection.streaming') : t('protection.waiting')) : t('protection.off')}
        </Badge>
      </Group>
      <Text c="dimmed" size="sm">
        {t('protection.description')}
      </Text>
      <QueryState query={protection}>
        {() => (
          <Stack>
            {active && current ? (
              <SimpleGrid cols={{ base: 2, md: 4 }}>
                <Figure label={t('protection.lag')} value={progress?.lag_seconds === null || !progress ? '—' : `${progress.lag_seconds} s`} alarm={current.lag_alerted_at !== null} testId="protection-lag" />
                <Figure label={t('protection.lagBytes')} value={progress ? formatBytes(progress.lag_bytes, lang) : '—'} testId="protection-lag-bytes" />
                <Figure label={t('protection.retained')} value={progress?.retained_bytes === null || !progress ? '—' : formatBytes(progress.retained_bytes, lang)} alarm={current.retained_alerted_at !== null} testId="protection-retained" />
                <Figure label={t('protection.uploaded')} value={progress?.uploaded_lsn ?? '—'} testId="protection-uploaded" />
              </SimpleGrid>
            ) : null}
            {current?.last_error ? <Text c="red" size="sm">{`${current.last_error.code}: ${current.last_error.message ?? ''}`}</Text> : null}
            {current && !active && current.slot_state !== 'dropped' ? <Text size="sm">{t('protection.dropping', { slot: current.slot_name })}</Text> : null}
            {canEdit && id ? (
              <Paper withBorder p="md">
                <ProtectionForm key={current?.updated_at ?? 'new'} connectionId={id} current={current} />
                {active ? (
                  <Button mt="sm" color="red" variant="light" loading={toggle.isPending} onClick={() => toggle.mutate({ id, input: null })} data-testid="protection-disable">
                    {t('protection.disable')}
                  </Button>
                ) : null}
              </Paper>
            ) : null}
          </Stack>
        )}
      </QueryState>
      {active ? (
        <Paper withBorder p="md">
          <Text fw={600} mb="sm">
            {t('protection.window')}
          </Text>
          <QueryState query={timeline} isEmpty={(data) => data.windows.length === 0} empty={<Empty title={t('protection.noWindow')} />}>
            {(data) => (
              <Table fz="sm" data-testid="protection-timeline">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('protection.backup')}</Table.Th>
                    <Table.Th>{t('protection.from')}</Table.Th>
                    <Table.Th>{t('protection.to')}</Table.Th>
                    <Table.Th>{t('protection.gap')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.windows.map((window) => (
                    <Table.Tr key={window.backup}>
                      <Table.Td ff="monospace">{window.backup}</Table.Td>
                      <Table.Td>{formatDateTime(window.consistent_at, lang)}</Table.Td>
                      <Table.Td ff="monospace">{window.end_lsn}</Table.Td>
                      <Table.Td c={window.first_missing || window.unrestorable ? 'red' : undefined}>{window.unrestorable ? t('protection.unrestorable') : (window.first_missing ?? '—')}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </QueryState>
          {canEdit && id && timeline.data && timeline.data.windows.length > 0 ? (
            <Paper withBorder p="md" mt="md">
              <ProtectionRestoreWizard connectionId={id} windows={timeline.data.windows} />
            </Paper>
          ) : null}
        </Paper>
      ) : null}
    </Stack>
  );
}
