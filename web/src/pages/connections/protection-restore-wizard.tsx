import { Anchor, Button, Checkbox, Group, NumberInput, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

import { type ProtectionTimeline, useQueueProtectionRestore } from '../../api/protection.js';
import { ErrorBody } from '../../components/error-body.js';
import { formatDateTime } from '../../lib/format.js';

type Window = ProtectionTimeline['windows'][number];
type TargetKind = 'time' | 'latest';

/** Why a moment cannot be restored to from this window (null when it can): the server checks the same. */
function timeProblem(window: Window | undefined, text: string, t: (key: string, values?: Record<string, string>) => string, lang: string): string | null {
  if (!window) return t('protection.restore.pickBackup');
  const at = Date.parse(text);
  if (Number.isNaN(at)) return t('protection.restore.badTime');
  if (at < Date.parse(window.consistent_at) || at > Date.now()) return t('protection.restore.outside', { from: formatDateTime(window.consistent_at, lang) });
  return null;
}

/** Restore to a moment: a base backup of the timeline, a point inside its window, a directory on a worker's host. */
export function ProtectionRestoreWizard({ connectionId, windows }: { connectionId: string; windows: Window[] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const queue = useQueueProtectionRestore();
  const restorable = windows.filter((window) => !window.unrestorable);
  const [backup, setBackup] = useState<string | null>(restorable.at(-1)?.backup ?? null);
  const [kind, setKind] = useState<TargetKind>('time');
  const [time, setTime] = useState('');
  const [dir, setDir] = useState('');
  const [start, setStart] = useState(true);
  const [port, setPort] = useState<number | string>('');
  const window = restorable.find((candidate) => candidate.backup === backup);
  const problem = kind === 'time' && time !== '' ? timeProblem(window, time, t, lang) : null;
  const ready = window !== undefined && dir.startsWith('/') && (kind === 'latest' || (time !== '' && problem === null));
  return (
    <Stack gap="xs" data-testid="protection-restore">
      <Text fw={600}>{t('protection.restore.title')}</Text>
      <Group align="end">
        <Select label={t('protection.backup')} data={restorable.map((item) => item.backup)} value={backup} onChange={setBackup} data-testid="restore-backup" w={220} />
        <SegmentedControl value={kind} onChange={(value) => setKind(value as TargetKind)} data={[{ value: 'time', label: t('protection.restore.toTime') }, { value: 'latest', label: t('protection.restore.latest') }]} />
        {kind === 'time' ? (
          <TextInput
            label={t('protection.restore.time')}
            description={window ? t('protection.restore.window', { from: formatDateTime(window.consistent_at, lang) }) : undefined}
            placeholder="2026-12-04T09:30:00Z"
            value={time}
            onChange={(event) => setTime(event.currentTarget.value)}
            error={problem}
            data-testid="restore-time"
            w={260}
          />
        ) : null}
      </Group>
      <Group align="end">
        <TextInput label={t('protection.restore.dir')} description={t('protection.restore.dirHint')} placeholder="/var/lib/pgferry/restored" value={dir} onChange={(event) => setDir(event.currentTarget.value)} data-testid="restore-dir" w={340} />
        <Checkbox label={t('protection.restore.start')} checked={start} onChange={(event) => setStart(event.currentTarget.checked)} data-testid="restore-start" />
        {start ? <NumberInput label={t('protection.restore.port')} placeholder={t('protection.restore.anyPort')} value={port} onChange={setPort} min={1} max={65535} w={140} data-testid="restore-port" /> : null}
        <Button
          disabled={!ready}
          loading={queue.isPending}
          data-testid="restore-submit"
          onClick={() =>
            queue.mutate({
              id: connectionId,
              input: {
                backup: backup ?? '',
                // As typed: a round trip through Date would cut microseconds and move the target.
                ...(kind === 'time' ? { target_time: time.trim() } : { latest: true }),
                to_dir: dir,
                start,
                ...(start && Number(port) ? { port: Number(port) } : {}),
              },
            })
          }
        >
          {t('protection.restore.submit')}
        </Button>
      </Group>
      {queue.error ? <ErrorBody error={queue.error} /> : null}
      {queue.data ? (
        <Text size="sm">
          {t('protection.restore.queued')}{' '}
          <Anchor component={Link} to={`/runs/${queue.data.run_id}`} data-testid="restore-run-link">
            {queue.data.run_id}
          </Anchor>
        </Text>
      ) : null}
    </Stack>
  );
}
