import { Group, Title } from '@mantine/core';

/** A small ferry mark drawn inline, so it renders without emoji fonts. */
export function Logo({ order = 4 }: { order?: 2 | 3 | 4 }) {
  return (
    <Group gap={6} wrap="nowrap">
      <svg width={order === 2 ? 28 : 22} height={order === 2 ? 28 : 22} viewBox="0 0 24 24" aria-hidden="true">
        <path d="M3 15h18l-2.5 4.5h-13z" fill="var(--mantine-primary-color-filled)" />
        <rect x="7" y="9" width="10" height="5" rx="1" fill="var(--mantine-primary-color-filled)" opacity="0.75" />
        <rect x="10" y="5" width="2" height="4" fill="var(--mantine-primary-color-filled)" opacity="0.6" />
        <path d="M2 21c2 0 2-1 4-1s2 1 4 1 2-1 4-1 2 1 4 1 2-1 4-1" stroke="var(--mantine-color-blue-4)" fill="none" strokeWidth="1.2" />
      </svg>
      <Title order={order}>pgferry</Title>
    </Group>
  );
}
