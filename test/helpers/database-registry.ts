/**
 * Databases created by the current test file. The setup file drops them after the file:
 * `afterAll` called from inside a running test is not honoured, so helpers cannot register
 * their own clean-up when a test (rather than a beforeAll) creates a database.
 */
export const createdDatabases = new Set<string>();
