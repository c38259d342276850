import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * Destructive actions (full/mirror sync, restore with --clean) ask for the object's name to
 * be typed, so a click alone never wipes a table.
 */
export function ConfirmTypedName({
  opened,
  name,
  message,
  confirmLabel,
  onConfirm,
  onClose,
  loading,
}: {
  opened: boolean;
  name: string;
  message: string;
  confirmLabel?: string;
  onConfirm: (typed: string) => void;
  onClose: () => void;
  loading?: boolean;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const matches = typed === name;
  return (
    <Modal
      opened={opened}
      onClose={() => {
        setTyped('');
        onClose();
      }}
      title={t('confirm.title')}
      centered
    >
      <Stack>
        <Alert color="red" variant="light">
          {message}
        </Alert>
        <Text size="sm">{t('confirm.typeName', { name })}</Text>
        <TextInput
          aria-label={t('confirm.nameLabel')}
          data-testid="confirm-name-input"
          value={typed}
          onChange={(event) => setTyped(event.currentTarget.value)}
          autoFocus
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button color="red" disabled={!matches} loading={loading ?? false} onClick={() => onConfirm(typed)} data-testid="confirm-button">
            {confirmLabel ?? t('confirm.confirm')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
