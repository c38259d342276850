import { Alert, Anchor, Button, FileInput, Group, Modal, Select, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

import { type Backup, downloadUrl, useBackups, useUploadBackup, useVerifyBackup } from '../../api/backups.js';
import { useHasApi } from '../../api/capabilities.js';
import { useStorages } from '../../api/storages.js';
import { PageHeader } from '../../components/page-header.js';
import { PagerControls } from '../../components/pager-controls.js';
import { Empty, ErrorAlert, QueryState } from '../../components/query-state.js';
import { StatusBadge } from '../../components/status-badge.js';
import { formatBytes, formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/me-context.js';
import { usePager } from '../../lib/use-pager.js';
import { RestoreWizard } from './restore-wizard.js';

const states = ['complete', 'verified', 'drill_passed', 'drill_failed', 'corrupt', 'expired'] as const;

function UploadForm({ onDone }: { onDone: (backup: Backup) => void }) {
  const { t } = useTranslation();
  const storages = useStorages({ page_size: 500 });
  const upload = useUploadBackup();
  const [storageId, setStorageId] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [database, setDatabase] = useState('');
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t('backups.uploadHelp')}
      </Text>
      <Select label={t('backups.fields.storage')} data={(storages.data?.items ?? []).map((storage) => ({ value: storage.id, label: storage.name }))} value={storageId} onChange={setStorageId} required />
      <FileInput label={t('backups.archive')} description={t('backups.archiveHelp')} value={file} onChange={setFile} accept=".tar,.dump,.backup,application/x-tar,application/octet-stream" required />
      <TextInput label={t('backups.fields.database')} description={t('backups.databaseHelp')} value={database} onChange={(e) => setDatabase(e.currentTarget.value)} maxLength={63} />
      {upload.isPending ? <Text size="sm">{t('backups.uploading')}</Text> : null}
      {upload.error ? <ErrorAlert error={upload.error} /> : null}
      <Group justify="flex-end">
        <Button disabled={!storageId || !file} loading={upload.isPending} onClick={() => storageId && file && upload.mutate({ storageId, file, ...(database ? { database } : {}) }, { onSuccess: onDone })}>
          {t('backups.upload')}
        </Button>
      </Group>
    </Stack>
  );
}

export default function BackupsPage() {
  const { t, i18n } = useTranslation();
  const canRun = useCan('operator');
  const pager = usePager();
  const [state, setState] = useState<string | null>(null);
  const backups = useBackups({ ...pager.query, ...(state ? { state } : {}) });
  const verify = useVerifyBackup();
  const canUpload = useCan('admin');
  const canRestore = useHasApi('/api/v1/backups/{id}/restore');
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const [uploading, setUploading] = useState(false);
  const [uploaded, setUploaded] = useState<Backup | null>(null);
  return (
    <>
      <PageHeader
        title={t('backups.title')}
        description={t('backups.description')}
        actions={canUpload ? <Button variant="light" onClick={() => setUploading(true)}>{t('backups.uploadAndRestore')}</Button> : null}
      />
      <Group mb="sm">
        <Select placeholder={t('backups.fields.state')} data={states.map((value) => ({ value, label: t(`status.${value}`) }))} value={state} onChange={(value) => { setState(value); pager.reset(); }} clearable w={180} />
      </Group>
      {verify.error ? <ErrorAlert error={verify.error} /> : null}
      {verify.data ? (
        <Alert color={verify.data.ok ? 'green' : 'red'} mb="sm" withCloseButton onClose={() => verify.reset()} title={verify.data.ok ? t('backups.verifyOk') : t('backups.verifyFailed')} data-testid="verify-result">
          <Text size="sm">{t('backups.verifySummary', { files: verify.data.files.length, size: formatBytes(verify.data.checked_bytes, i18n.language) })}</Text>
          {verify.data.files
            .filter((file) => !file.ok)
            .map((file) => (
              <Text key={file.path} size="xs" ff="monospace" c="red">
                {file.path}: {file.reason ?? '?'}
              </Text>
            ))}
        </Alert>
      ) : null}
      {uploaded ? (
        <Alert color="green" mb="sm" withCloseButton onClose={() => setUploaded(null)}>
          {t('backups.uploaded', { name: uploaded.database_name })}{' '}
          {canRun && canRestore ? <Anchor onClick={() => { setRestoring(uploaded); setUploaded(null); }}>{t('backups.restoreIt')}</Anchor> : null}
        </Alert>
      ) : null}
      <QueryState query={backups} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t('backups.empty')} />}>
        {(data) => (
          <>
            <Table.ScrollContainer minWidth={1000}>
              <Table highlightOnHover verticalSpacing="xs" data-testid="backups-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('backups.fields.database')}</Table.Th>
                    <Table.Th>{t('backups.fields.created')}</Table.Th>
                    <Table.Th ta="right">{t('backups.fields.size')}</Table.Th>
                    <Table.Th ta="right">{t('backups.fields.tables')}</Table.Th>
                    <Table.Th>{t('backups.fields.format')}</Table.Th>
                    <Table.Th>{t('backups.fields.state')}</Table.Th>
                    <Table.Th>{t('backups.fields.drill')}</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.items.map((backup) => (
                    <Table.Tr key={backup.id} data-testid={`backup-row-${backup.database_name}`}>
                      <Table.Td>
                        <Text fw={500}>{backup.database_name}</Text>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {backup.location}
                        </Text>
                      </Table.Td>
                      <Table.Td>{formatDateTime(backup.created_at, i18n.language)}</Table.Td>
                      <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }}>
                        {formatBytes(backup.size_bytes, i18n.language)}
                      </Table.Td>
                      <Table.Td ta="right">{backup.tables.length}</Table.Td>
                      <Table.Td>
                        {t(`backupJobs.formats.${backup.format}`, { defaultValue: backup.format })} · {t(`backupJobs.compressions.${backup.compression}`, { defaultValue: backup.compression })}
                        {backup.encrypted ? ' · 🔒' : ''}
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={backup.state} />
                        {backup.verified_at ? (
                          <Text size="xs" c="dimmed">
                            {formatDateTime(backup.verified_at, i18n.language)}
                          </Text>
                        ) : null}
                      </Table.Td>
                      <Table.Td>
                        {backup.drill_at ? (
                          <Tooltip label={JSON.stringify(backup.drill_result ?? {})} multiline maw={360}>
                            <Text size="sm">{formatDateTime(backup.drill_at, i18n.language)}</Text>
                          </Tooltip>
                        ) : (
                          '—'
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4} justify="flex-end" wrap="nowrap">
                          {canRun ? (
                            <Button size="xs" variant="subtle" component="a" href={downloadUrl(backup.id)} data-testid="backup-download">
                              {t('backups.download')}
                            </Button>
                          ) : null}
                          {canRun ? (
                            <>
                              <Button
                                size="xs"
                                variant="light"
                                loading={verify.isPending && verify.variables?.id === backup.id}
                                data-testid="backup-verify"
                                onClick={() => verify.mutate({ id: backup.id })}
                              >
                                {t('backups.verify')}
                              </Button>
                              {canRestore ? (
                                <Button size="xs" variant="light" color="orange" onClick={() => setRestoring(backup)} data-testid="backup-restore">
                                  {t('backups.restore')}
                                </Button>
                              ) : null}
                            </>
                          ) : null}
                          {backup.run_id ? (
                            <Button size="xs" variant="subtle" component={Link} to={`/runs/${backup.run_id}`}>
                              {t('backups.run')}
                            </Button>
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
      <Modal opened={restoring !== null} onClose={() => setRestoring(null)} title={t('restore.title')} size="lg">
        {restoring ? <RestoreWizard backup={restoring} onClose={() => setRestoring(null)} /> : null}
      </Modal>
      <Modal opened={uploading} onClose={() => setUploading(false)} title={t('backups.uploadAndRestore')}>
        {uploading ? (
          <UploadForm
            onDone={(backup) => {
              setUploading(false);
              setUploaded(backup);
            }}
          />
        ) : null}
      </Modal>
    </>
  );
}
