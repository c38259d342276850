import { Button } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** Edit and delete buttons of a list row; delete asks `confirmText` first. */
export function EditDeleteButtons({ onEdit, onDelete, confirmText, editTestId }: { onEdit: () => void; onDelete: () => void; confirmText: string; editTestId?: string }) {
  const { t } = useTranslation();
  return (
    <>
      <Button size="xs" variant="subtle" onClick={onEdit} data-testid={editTestId}>
        {t('common.edit')}
      </Button>
      <Button
        size="xs"
        variant="subtle"
        color="red"
        onClick={() => {
          if (window.confirm(confirmText)) onDelete();
        }}
      >
        {t('common.delete')}
      </Button>
    </>
  );
}
