import { Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { describeError } from '../lib/error-message.js';

/** The translated message, then the server's own text and the code as quieter lines. */
export function ErrorBody({ error }: { error: unknown }) {
  const { t, i18n } = useTranslation();
  const shown = describeError(error, t, (key) => i18n.exists(key));
  return (
    <>
      <Text size="sm" data-testid="error-message">
        {shown.message}
      </Text>
      {shown.details ? (
        <Text size="xs" c="dimmed" mt={4} style={{ whiteSpace: 'pre-wrap' }} data-testid="error-details" data-untranslated="server">
          {shown.details}
        </Text>
      ) : null}
      {shown.code ? (
        <Text size="xs" c="dimmed" data-untranslated="code">
          {shown.code}
          {shown.requestId ? ` · ${t('common.requestId')} ${shown.requestId}` : ''}
        </Text>
      ) : null}
    </>
  );
}
