import { describe, expect, it } from 'vitest';

import { createI18n } from '../i18n/i18n.js';
import { serverFieldText } from './field-error.js';

describe('server field errors', () => {
  const zh = createI18n('zh-CN').t;
  const en = createI18n('en').t;

  it('are shown in the user language by their code, with the numbers zod gave', () => {
    expect(serverFieldText(zh, { field: 'name', code: 'taken', message: 'already exists' })).toBe('已被占用，请换一个名称');
    expect(serverFieldText(zh, { field: 'name', code: 'too_big', params: { origin: 'string', maximum: 100 }, message: 'Too big' })).toBe('最多 100 个字符');
    expect(serverFieldText(en, { field: 'port', code: 'too_small', params: { origin: 'number', minimum: 1 }, message: 'Too small' })).toBe('At least 1');
    expect(serverFieldText(zh, { field: 'config.path', code: 'path_missing', message: 'does not exist' })).toBe('该目录不存在');
  });

  it('fall back to the server text for a code the UI does not know, or none', () => {
    expect(serverFieldText(zh, { field: 'x', code: 'something_new', message: 'server words' })).toBe('server words');
    expect(serverFieldText(zh, { field: 'x', message: 'server words' })).toBe('server words');
    expect(serverFieldText(zh, { field: 'where', code: 'custom', message: 'closes a parenthesis it did not open' })).toBe('closes a parenthesis it did not open');
  });
});
