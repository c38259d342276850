import type { ObjectReader } from '../model/schema-object.js';
import { readCollations } from './read-collations.js';
import { readDefaultPrivileges } from './read-default-privileges.js';
import { readEventTriggers } from './read-event-triggers.js';
import { readForeignTables } from './read-foreign-tables.js';
import { readForeignDataWrappers, readForeignServers, readUserMappings } from './read-foreign.js';
import { readLargeObjects } from './read-large-objects.js';
import { readExtensions, readSchemas } from './read-namespaces.js';
import { readAggregates, readFunctions } from './read-routines.js';
import { readCasts, readConversions, readOperatorClasses, readOperatorFamilies, readOperators } from './read-operators.js';
import { readPublications } from './read-publications.js';
import { readSequences } from './read-sequences.js';
import { readStatistics } from './read-statistics.js';
import { readSubscriptions } from './read-subscriptions.js';
import { readConstraints, readIndexes, readPolicies, readRules, readTriggers } from './read-table-parts.js';
import { readTables } from './read-tables.js';
import { readTextSearchConfigurations, readTextSearchDictionaries, readTextSearchParsers, readTextSearchTemplates } from './read-text-search.js';
import { readTypes } from './read-types.js';
import { readViews } from './read-views.js';

/**
 * Every reader of the schema layer. Each returns the objects of its kinds that are not
 * extension members, with their catalog addresses; the graph adds pg_depend's edges.
 * Constraints come before indexes: a key's index folds onto the key.
 */
export const objectReaders: readonly ObjectReader[] = [
  readSchemas,
  readExtensions,
  readCollations,
  readTypes,
  readFunctions,
  readAggregates,
  readOperators,
  readOperatorFamilies,
  readOperatorClasses,
  readCasts,
  readConversions,
  readTextSearchParsers,
  readTextSearchTemplates,
  readTextSearchDictionaries,
  readTextSearchConfigurations,
  readSequences,
  readTables,
  readViews,
  readConstraints,
  readIndexes,
  readTriggers,
  readRules,
  readPolicies,
  readForeignDataWrappers,
  readForeignServers,
  readUserMappings,
  readForeignTables,
  readStatistics,
  readPublications,
  readSubscriptions,
  readDefaultPrivileges,
  readEventTriggers,
  readLargeObjects,
  // readers are registered here
];
