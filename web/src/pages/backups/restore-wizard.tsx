import { Alert, Anchor, Button, Checkbox, Group, Radio, Select, Stack, Stepper, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

import { type Backup, type RestoreInput, useRestoreBackup } from '../../api/backups.js';
import { useConnections } from '../../api/connections.js';
import { useRun } from '../../api/runs.js';
import { ErrorAlert } from '../../components/query-state.js';
import { StatusBadge } from '../../components/status-badge.js';
import { formatBytes, formatDateTime, visibleName } from '../../lib/format.js';
import { useCan } from '../../lib/me-context.js';

type Mode = 'create' | 'clean' | 'existing';

// The API's own rule for `database` (restoreBodySchema): 1–63 characters, no NUL.
const databasePattern = /^[^\0]{1,63}$/;

/**
 * The body of `POST /api/v1/backups/:id/restore`: create and clean exclude each other, a
 * clean restore carries the connection name typed by the user as `confirm_name`, and
 * `trust_unsigned` is sent only when the user ticked it.
 */
export function restoreBody(connectionId: string, mode: Mode, database: string, typed: string, trustUnsigned = false): RestoreInput {
  const trust = trustUnsigned ? { trust_unsigned: true } : {};
  if (mode === 'create') return { connection_id: connectionId, create: true, database, ...trust };
  if (mode === 'clean') return { connection_id: connectionId, clean: true, confirm_name: typed, ...trust };
  return { connection_id: connectionId, ...trust };
}

/** Target → options → typed confirmation → queued (links to the live run). */
export function RestoreWizard({ backup, onClose }: { backup: Backup; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const isAdmin = useCan('admin');
  const connections = useConnections({ page_size: 200 });
  const restore = useRestoreBackup();
  const [step, setStep] = useState(0);
  const [connectionId, setConnectionId] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>('create');
  const [database, setDatabase] = useState(`${backup.database_name}_restored`.slice(0, 63));
  const [typed, setTyped] = useState('');
  const [trustUnsigned, setTrustUnsigned] = useState(false);
  const target = connections.data?.items.find((connection) => connection.id === connectionId);
  // A clean restore (and loading into the existing database) is confirmed with the connection
  // name, as the API demands for clean; a new database is confirmed with its name.
  const confirmName = mode === 'create' ? database : (target?.name ?? '');
  const databaseValid = databasePattern.test(database);
  // Protected connections: never for operators, and never with clean (the API refuses it).
  const cleanRefused = target?.protected === true;
  const runId = restore.data?.run_id;
  // The dialog follows its run to the end (polled while queued or running), not the answer of the request.
  const run = useRun(runId);
  const status = run.data?.status ?? restore.data?.status;
  const color = status === 'succeeded' ? 'green' : status === 'failed' || status === 'cancelled' ? 'red' : status === 'incomplete' ? 'orange' : 'blue';

  return (
    <Stepper active={step} size="sm" data-testid="restore-wizard">
      <Stepper.Step label={t('restore.steps.target')}>
        <Stack mt="md">
          <Text size="sm" c="dimmed">
            {t('restore.summary', { database: backup.database_name, date: formatDateTime(backup.created_at, i18n.language), size: formatBytes(backup.size_bytes, i18n.language) })}
          </Text>
          <Select
            label={t('restore.target')}
            data={(connections.data?.items ?? []).map((connection) => ({
              value: connection.id,
              label: connection.protected ? `${visibleName(connection.name)} (${t('connections.protected')})` : visibleName(connection.name),
              disabled: connection.protected && !isAdmin,
            }))}
            value={connectionId}
            onChange={(value) => {
              setConnectionId(value);
              setTyped('');
              if (mode === 'clean' && connections.data?.items.find((connection) => connection.id === value)?.protected) setMode('create');
            }}
            description={isAdmin ? t('restore.protectedCleanRefused') : t('restore.protectedRefused')}
            data-testid="restore-target"
          />
          <Radio.Group
            label={t('restore.how')}
            value={mode}
            onChange={(value) => {
              setMode(value as Mode);
              setTyped('');
            }}
          >
            <Stack gap={6} mt={4}>
              <Radio value="create" label={t('restore.modes.create')} data-testid="restore-mode-create" />
              <Radio value="clean" label={t('restore.modes.clean')} disabled={cleanRefused} data-testid="restore-mode-clean" />
              <Radio value="existing" label={t('restore.modes.existing')} data-testid="restore-mode-existing" />
            </Stack>
          </Radio.Group>
          {mode === 'create' ? (
            <TextInput
              label={t('restore.newDatabase')}
              value={database}
              onChange={(e) => setDatabase(e.currentTarget.value)}
              error={databaseValid ? undefined : t('restore.databaseInvalid')}
              maxLength={63}
              data-testid="restore-database"
            />
          ) : null}
          <Checkbox
            label={t('restore.trustUnsigned')}
            description={t('restore.trustUnsignedHelp')}
            checked={trustUnsigned}
            onChange={(e) => setTrustUnsigned(e.currentTarget.checked)}
            data-testid="restore-trust-unsigned"
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button disabled={!connectionId || (mode === 'create' && !databaseValid) || (mode === 'clean' && cleanRefused)} onClick={() => setStep(1)} data-testid="restore-next">
              {t('common.next')}
            </Button>
          </Group>
        </Stack>
      </Stepper.Step>
      <Stepper.Step label={t('restore.steps.confirm')}>
        <Stack mt="md">
          <Alert color={mode === 'clean' ? 'red' : 'orange'} data-testid="restore-warning">
            {t(`restore.warnings.${mode}`, { target: target?.name ?? '', database })}
          </Alert>
          <Text size="sm">{t('confirm.typeName', { name: confirmName })}</Text>
          <TextInput aria-label={t('confirm.nameLabel')} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} data-testid="confirm-name-input" />
          {restore.error ? <ErrorAlert error={restore.error} /> : null}
          <Group justify="space-between">
            <Button variant="default" onClick={() => setStep(0)}>
              {t('common.back')}
            </Button>
            <Button
              color="red"
              disabled={typed !== confirmName || !connectionId}
              loading={restore.isPending}
              data-testid="restore-start"
              onClick={() => connectionId && restore.mutate({ id: backup.id, body: restoreBody(connectionId, mode, database, typed, trustUnsigned) }, { onSuccess: () => setStep(2) })}
            >
              {t('restore.start')}
            </Button>
          </Group>
        </Stack>
      </Stepper.Step>
      <Stepper.Completed>
        <Stack mt="md">
          <Alert color={color} data-testid="restore-queued" data-status={status}>
            <Group gap="xs">
              <Text size="sm">{t('restore.queued', { id: runId ?? '' })}</Text>
              {status ? <StatusBadge status={status} /> : null}
            </Group>
            {run.data?.error_message ? (
              <Text size="sm" mt="xs" data-testid="restore-error">
                {run.data.error_message}
              </Text>
            ) : null}
          </Alert>
          {runId ? (
            <Anchor component={Link} to={`/runs/${runId}`} data-testid="restore-run-link">
              {t('restore.watch')}
            </Anchor>
          ) : null}
          <Group justify="flex-end">
            <Button onClick={onClose}>{t('common.done')}</Button>
          </Group>
        </Stack>
      </Stepper.Completed>
    </Stepper>
  );
}
