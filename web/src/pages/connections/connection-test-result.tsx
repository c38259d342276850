import { Alert, Group, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { ConnectionTestResult as Result } from '../../api/connections.js';
import { ErrorBody } from '../../components/error-body.js';
import { formatBytes, formatNumber } from '../../lib/format.js';

const known = new Set(['ok', 'server_version', 'server_version_num', 'latency_ms', 'database_size_bytes', 'error', 'code', 'message', 'source', 'destination', 'target']);

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A test answer or failure: the classified code, the explanation and the figures. */
export function ConnectionTestResult({ result, error }: { result?: Result | undefined; error?: unknown }) {
  const { t, i18n } = useTranslation();
  if (error) {
    return (
      <Alert color="red" title={t('connections.test.failed')} data-testid="connection-test-result" data-ok="false">
        <ErrorBody error={error} />
      </Alert>
    );
  }
  if (!result) return null;
  const ok = result.ok && !result.error;
  const extra = Object.entries(result).filter(([key]) => !known.has(key));
  return (
    <Alert
      color={ok ? 'green' : 'red'}
      title={ok ? t('connections.test.ok') : t('connections.test.failed')}
      data-testid="connection-test-result"
      data-ok={String(ok)}
    >
      <Stack gap={4}>
        {result.error ? (
          <div>
            <ErrorBody error={result.error} />
          </div>
        ) : null}
        <Group gap="lg">
          {result.server_version ? (
            <Text size="sm">
              {t('connections.test.version')}: <b>{result.server_version}</b>
            </Text>
          ) : null}
          {result.latency_ms !== null ? (
            <Text size="sm">
              {t('connections.test.latency')}: <b>{formatNumber(result.latency_ms, i18n.language)} ms</b>
            </Text>
          ) : null}
          {result.database_size_bytes !== null ? (
            <Text size="sm">
              {t('connections.test.size')}: <b>{formatBytes(result.database_size_bytes, i18n.language)}</b>
            </Text>
          ) : null}
        </Group>
        {result.target ? (
          <Text size="xs" c="dimmed" ff="monospace">
            {result.target}
          </Text>
        ) : null}
        {(['source', 'destination'] as const).map((role) => {
          const check = result[role];
          if (!check) return null;
          return (
            <Text size="sm" key={role} data-testid={`test-${role}`}>
              {t(`connections.test.${role}`)}: <b>{check.ok ? t('connections.test.privilegesOk') : t('connections.test.privilegesMissing')}</b>
              {check.missing.length > 0 ? ` — ${check.missing.join('; ')}` : ''}
            </Text>
          );
        })}
        {extra.length > 0 ? (
          <Table fz="xs" withRowBorders={false}>
            <Table.Tbody>
              {extra.map(([key, value]) => (
                <Table.Tr key={key}>
                  <Table.Td c="dimmed">{key}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-word' }}>{show(value)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : null}
      </Stack>
    </Alert>
  );
}
