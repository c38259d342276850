import { ActionIcon, Group, SegmentedControl, Tooltip, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { type Language, languages, rememberLanguage } from '../i18n/i18n.js';

/** Language (remembered in localStorage) and light/dark switches, shown on every page. */
export function Preferences() {
  const { t, i18n } = useTranslation();
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  return (
    <Group gap="xs" wrap="nowrap">
      <SegmentedControl
        size="xs"
        aria-label={t('layout.language')}
        data-testid="language-switch"
        value={i18n.language === 'zh-CN' ? 'zh-CN' : 'en'}
        onChange={(value) => {
          rememberLanguage(value as Language);
          void i18n.changeLanguage(value);
        }}
        data={languages.map((language) => ({ value: language.value, label: language.label }))}
      />
      <Tooltip label={scheme === 'dark' ? t('layout.light') : t('layout.dark')}>
        <ActionIcon
          variant="default"
          size="lg"
          aria-label={t('layout.toggleColorScheme')}
          data-testid="color-scheme-toggle"
          onClick={() => setColorScheme(scheme === 'dark' ? 'light' : 'dark')}
        >
          {scheme === 'dark' ? '☀' : '☾'}
        </ActionIcon>
      </Tooltip>
    </Group>
  );
}
