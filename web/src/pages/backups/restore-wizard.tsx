import { Alert, Anchor, Button, Group, Radio, Select, Stack, Stepper, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

import { type Backup, runIdOf, useRestoreBackup } from '../../api/backups.js';
import { useConnections } from '../../api/connections.js';
import { ErrorAlert } from '../../components/query-state.js';
import { formatBytes, formatDateTime } from '../../lib/format.js';

/** Target → options → typed confirmation → started (links to the live run). */
export function RestoreWizard({ backup, onClose }: { backup: Backup; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const connections = useConnections({ page_size: 200 });
  const restore = useRestoreBackup();
  const [step, setStep] = useState(0);
  const [connectionId, setConnectionId] = useState<string | null>(null);
  const [mode, setMode] = useState<'create' | 'clean' | 'existing'>('create');
  const [database, setDatabase] = useState(`${backup.database_name}_restored`);
  const [typed, setTyped] = useState('');
  const target = connections.data?.items.find((connection) => connection.id === connectionId);
  const confirmName = mode === 'create' ? database : (target?.name ?? '');
  const databaseValid = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(database);
  const runId = runIdOf(restore.data);

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
              label: connection.protected ? `${connection.name} (${t('connections.protected')})` : connection.name,
              disabled: connection.protected,
            }))}
            value={connectionId}
            onChange={setConnectionId}
            description={t('restore.protectedRefused')}
            data-testid="restore-target"
          />
          <Radio.Group label={t('restore.how')} value={mode} onChange={(value) => setMode(value as typeof mode)}>
            <Stack gap={6} mt={4}>
              <Radio value="create" label={t('restore.modes.create')} data-testid="restore-mode-create" />
              <Radio value="clean" label={t('restore.modes.clean')} />
              <Radio value="existing" label={t('restore.modes.existing')} />
            </Stack>
          </Radio.Group>
          {mode === 'create' ? (
            <TextInput label={t('restore.newDatabase')} value={database} onChange={(e) => setDatabase(e.currentTarget.value)} error={databaseValid ? undefined : t('validation.databaseName')} data-testid="restore-database" />
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button disabled={!connectionId || (mode === 'create' && !databaseValid)} onClick={() => setStep(1)} data-testid="restore-next">
              {t('common.next')}
            </Button>
          </Group>
        </Stack>
      </Stepper.Step>
      <Stepper.Step label={t('restore.steps.confirm')}>
        <Stack mt="md">
          <Alert color={mode === 'clean' ? 'red' : 'orange'}>
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
              onClick={() =>
                restore.mutate(
                  {
                    id: backup.id,
                    body: {
                      connection_id: connectionId ?? '',
                      ...(mode === 'create' ? { database, create: true } : {}),
                      ...(mode === 'clean' ? { clean: true } : {}),
                    },
                  },
                  { onSuccess: () => setStep(2) },
                )
              }
            >
              {t('restore.start')}
            </Button>
          </Group>
        </Stack>
      </Stepper.Step>
      <Stepper.Completed>
        <Stack mt="md">
          <Alert color="green">{t('restore.started')}</Alert>
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
