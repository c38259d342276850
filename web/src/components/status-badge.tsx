import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';

const colors: Record<string, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  incomplete: 'orange',
  failed: 'red',
  cancelled: 'yellow',
  complete: 'blue',
  verified: 'green',
  drill_passed: 'teal',
  drill_failed: 'red',
  corrupt: 'red',
  expired: 'gray',
  pending: 'gray',
  done: 'green',
  skipped: 'gray',
};

export function StatusBadge({ status }: { status: string }) {
  const { t, i18n } = useTranslation();
  const key = `status.${status}`;
  return (
    <Badge color={colors[status] ?? 'gray'} variant="light" data-status={status}>
      {i18n.exists(key) ? t(key) : status}
    </Badge>
  );
}
