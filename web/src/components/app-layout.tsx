import { AppShell, Badge, Burger, Button, Group, NavLink, ScrollArea, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router-dom';

import { type Me, hasRole, useLogout } from '../api/auth.js';
import { visibleName } from '../lib/format.js';
import { MeContext } from '../lib/me-context.js';
import { Logo } from './logo.js';
import { Preferences } from './preferences.js';

const sections: { to: string; key: string; admin?: boolean }[] = [
  { to: '/', key: 'nav.dashboard' },
  { to: '/connections', key: 'nav.connections' },
  { to: '/sync-jobs', key: 'nav.syncJobs' },
  { to: '/follow-jobs', key: 'nav.followJobs' },
  { to: '/backup-jobs', key: 'nav.backupJobs' },
  { to: '/backups', key: 'nav.backups' },
  { to: '/storages', key: 'nav.storages' },
  { to: '/runs', key: 'nav.runs' },
  { to: '/notification-channels', key: 'nav.channels' },
  { to: '/users', key: 'nav.users', admin: true },
  { to: '/tokens', key: 'nav.tokens', admin: true },
  { to: '/audit-log', key: 'nav.auditLog' },
  { to: '/account/security', key: 'nav.security' },
];

export function AppLayout({ me, children }: { me: Me; children: ReactNode }) {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();
  const logout = useLogout();
  const signOut = () => logout.mutate(undefined, { onSettled: () => navigate('/login') });
  const active = (to: string) => (to === '/' ? location.pathname === '/' : location.pathname.startsWith(to));
  return (
    <MeContext.Provider value={me}>
      <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap">
            <Group gap="xs" wrap="nowrap">
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('layout.menu')} />
              <Link to="/" style={{ textDecoration: 'none', color: 'inherit' }}>
                <Logo />
              </Link>
            </Group>
            <Group gap="sm" wrap="nowrap">
              <Preferences />
              <Text size="sm" visibleFrom="sm" data-testid="current-user">
                {visibleName(me.display_name) || me.username}
              </Text>
              <Badge variant="outline" visibleFrom="sm">
                {t(`roles.${me.role}`)}
              </Badge>
              {/* On a phone the top bar has no room for it: it sits at the end of the menu instead. */}
              <Button size="xs" variant="subtle" visibleFrom="sm" data-testid="logout" onClick={signOut}>
                {t('layout.logout')}
              </Button>
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs" component="nav" aria-label={t('layout.navigation')}>
          <ScrollArea>
            {sections
              .filter((section) => !section.admin || hasRole(me, 'admin'))
              .map((section) => (
                <NavLink
                  key={section.to}
                  component={Link}
                  to={section.to}
                  label={t(section.key)}
                  active={active(section.to)}
                  onClick={close}
                  data-testid={`nav-${section.to.replace('/', '') || 'dashboard'}`}
                />
              ))}
            <NavLink component="button" hiddenFrom="sm" label={t('layout.logout')} description={visibleName(me.display_name) || me.username} onClick={signOut} data-testid="logout-menu" />
          </ScrollArea>
        </AppShell.Navbar>
        <AppShell.Main>{children}</AppShell.Main>
      </AppShell>
    </MeContext.Provider>
  );
}
