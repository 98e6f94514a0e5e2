"""The GraphQL edge: the request context, the mutation boundary, loaders, selection, pagination, query limits, input errors, global ids and the GraphQL shapes of errors."""
