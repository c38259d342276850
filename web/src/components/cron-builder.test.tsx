import { fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';

import { checkCron, cronFromParts, describeCron, nextFireTimes, partsFromCron } from '../lib/cron.js';
import { renderUi } from '../test/render.js';
import { CronBuilder } from './cron-builder.js';

function Harness({ initial = '0 2 * * *', timezone = 'UTC' }: { initial?: string | null; timezone?: string }) {
  const [state, setState] = useState({ cron: initial, timezone });
  return (
    <>
      <CronBuilder cron={state.cron} timezone={state.timezone} onChange={(cron, tz) => setState({ cron, timezone: tz })} />
      <output data-testid="value">{state.cron ?? 'none'}</output>
    </>
  );
}

describe('cron builder', () => {
  it('describes the schedule and lists the next five fire times', () => {
    renderUi(<Harness />);
    expect(screen.getByTestId('cron-description').textContent).toMatch(/02:00/);
    expect(screen.getByTestId('cron-next').querySelectorAll('li')).toHaveLength(5);
  });

  it('builds the expression from the weekly preset', () => {
    renderUi(<Harness />);
    fireEvent.click(screen.getByText('Weekly'));
    expect(screen.getByTestId('value').textContent).toBe('0 2 * * 1');
    fireEvent.change(screen.getByLabelText('Hour'), { target: { value: '23' } });
    expect(screen.getByTestId('value').textContent).toBe('0 23 * * 1');
    expect(screen.getByTestId('cron-description').textContent).toMatch(/23:00/);
    expect(screen.getByTestId('cron-description').textContent).toMatch(/Monday/);
  });

  it('points at a wrong custom expression and hides the preview', () => {
    renderUi(<Harness />);
    fireEvent.click(screen.getByText('Custom'));
    fireEvent.change(screen.getByTestId('cron-expression'), { target: { value: '0 2 * *' } });
    expect(screen.getByText('Expected 5 or 6 fields, got 4')).toBeTruthy();
    expect(screen.queryByTestId('cron-preview')).toBeNull();
    fireEvent.change(screen.getByTestId('cron-expression'), { target: { value: '0 25 * * *' } });
    expect(screen.getByText('Hour: 25 is out of range; use 0–23')).toBeTruthy();
    fireEvent.change(screen.getByTestId('cron-expression'), { target: { value: '*/30 * * * * *' } });
    expect(screen.getByTestId('cron-next').querySelectorAll('li')).toHaveLength(5);
  });

  it('turns the schedule off and on', () => {
    renderUi(<Harness initial={null} />);
    expect(screen.getByText('Runs only when started by hand or through the API.')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('Run on a schedule'));
    expect(screen.getByTestId('value').textContent).toBe('0 2 * * *');
  });

  it('explains a wrong field in 简体中文 without the library English text', () => {
    renderUi(<Harness initial="61 * * * *" />, { language: 'zh-CN' });
    const error = screen.getByText('分钟字段的值 61 超出范围，应为 0–59');
    expect(error.textContent).not.toMatch(/[A-Za-z]{3,}/);
  });

  it('describes in 简体中文', () => {
    renderUi(<Harness />, { language: 'zh-CN' });
    expect(screen.getByTestId('cron-description').textContent).toMatch(/[\u4e00-\u9fff]/);
    expect(screen.getByText('每周')).toBeTruthy();
  });
});

describe('cron helpers', () => {
  it('validates field counts and values', () => {
    expect(checkCron('0 2 * * *').ok).toBe(true);
    expect(checkCron('0 0 2 * * *').ok).toBe(true);
    expect(checkCron('').errorKey).toBe('cron.errors.empty');
    expect(checkCron('* * *').errorKey).toBe('cron.errors.fieldCount');
    expect(checkCron('61 * * * *')).toMatchObject({ ok: false, errorKey: 'cron.errors.outOfRange', field: 'minute', params: { value: '61', min: 0, max: 59 } });
    expect(checkCron('0 5-3 * * *')).toMatchObject({ errorKey: 'cron.errors.rangeOrder', field: 'hour' });
    expect(checkCron('*/0 * * * *')).toMatchObject({ errorKey: 'cron.errors.step', field: 'minute' });
    expect(checkCron('0 2 * * FOO')).toMatchObject({ errorKey: 'cron.errors.syntax', field: 'dayOfWeek' });
    expect(checkCron('0 2 * JAN-MAR MON-FRI').ok).toBe(true);
    expect(checkCron('0 2 L * *').ok).toBe(true);
  });

  it('computes fire times in the job time zone across a DST change', () => {
    // Europe/Berlin leaves summer time on 2026-10-25: 02:30 local stays 02:30 local.
    const times = nextFireTimes('30 2 * * *', 'Europe/Berlin', 3, new Date('2026-10-24T12:00:00Z'));
    expect(times.map((time) => time.toISOString())).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('round-trips presets', () => {
    for (const expression of ['15 * * * *', '0 3 * * *', '30 4 * * 0', '0 1 15 * *']) {
      expect(cronFromParts(partsFromCron(expression))).toBe(expression);
    }
    expect(partsFromCron('*/5 * * * *').preset).toBe('custom');
    expect(describeCron('0 2 * * *', 'en')).toMatch(/02:00/);
  });
});
