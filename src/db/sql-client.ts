import postgres from 'postgres';

export type Sql = postgres.Sql;
export type TxSql = postgres.TransactionSql;
/** Either the pool or a transaction: repositories accept both so services can compose them atomically. */
export type Queryable = Sql | TxSql;

export interface SqlClientOptions {
  url: string;
  schema: string;
  max?: number;
}

export function createSqlClient({ url, schema, max = 10 }: SqlClientOptions): Sql {
  return postgres(url, {
    max,
    // Short: with PostgreSQL away, a request must answer 503 within about 2 s, not hang.
    connect_timeout: 1.5,
    idle_timeout: 30,
    onnotice: () => {},
    transform: { column: { from: postgres.toCamel } },
    connection: { search_path: schema, application_name: 'video-jobs' },
    types: {
      // bigint sizes stay far below 2^53; numbers are what the API speaks.
      bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
    },
  });
}
