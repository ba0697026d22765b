// The SeriesStore module: see SeriesStore.swift (being written).
import ScopeCore
