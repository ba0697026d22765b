// The PromQL module: see the lexer, parser and AST (being written).
import ScopeCore
