export { importCsv, CSV_FORMATS } from './import.js';
export type { CsvInput, CsvSource, ImportOptions, ImportProgress, ImportReport, RowError } from './import.js';
export { exportCsv, exportFilters, type ExportOptions } from './export.js';
export { CSV_KINDS, type CsvKind } from './format.js';
export { readCsvRecords, CsvSyntaxError } from './reader.js';
export { registerCsvRoutes, CSV_EXPORT_PATH, CSV_IMPORT_PATH, type CsvRouteOptions } from './routes.js';
