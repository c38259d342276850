/** The schema holding every pgferry table in the metadata store database. */
export const storeSchema = 'pgferry';
