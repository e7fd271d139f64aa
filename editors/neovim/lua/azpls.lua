-- azpls (Azure Pipelines language server) for Neovim 0.7 and newer.
--
-- Put the folder holding this `lua/` folder on 'runtimepath' (or copy this file into
-- ~/.config/nvim/lua/), then in init.lua:
--
--   require('azpls').setup()                                   -- `azpls` on PATH
--   require('azpls').setup({ cmd = { '/path/to/azpls', 'server' } })
--   require('azpls').setup({ settings = { azpls = { wif = { table = '2024-02-08' } } } })
--
-- Neovim 0.11+ gets a native `vim.lsp.config('azpls', ...)` + `vim.lsp.enable('azpls')`,
-- so later `vim.lsp.config('azpls', {...})` calls still apply; 0.8-0.10 use `vim.lsp.start`
-- and 0.7 `vim.lsp.start_client`, from a FileType autocommand. See README.md.
local M = {}

-- Keep in step with ../lsp/azpls.lua (the Neovim 0.11 native config); the 0.11 test
-- checks that both agree.
M.defaults = {
  cmd = { 'azpls', 'server' },
  -- azpls stays silent on YAML that is not a pipeline, so every YAML buffer can have it.
  filetypes = { 'yaml' },
  -- In priority order: azpls.toml marks the folder the server reads its settings from.
  root_markers = { 'azpls.toml', '.git' },
  -- Sent as initializationOptions (so the first diagnostics already use them) and as
  -- workspace/didChangeConfiguration. Bare or under `azpls`, e.g.
  -- { azpls = { wif = { table = '2024-02-08' } } }.
  settings = {},
}

local function merged(opts)
  -- vim.tbl_extend is shallow on purpose: a `cmd` or `filetypes` given replaces the default.
  return vim.tbl_extend('force', M.defaults, opts or {})
end

-- None when there are no settings: an empty Lua table may go out as a JSON array, which
-- the server would reject as initializationOptions.
local function init_options(settings)
  if settings and next(settings) then
    return settings
  end
  return nil
end

--- The client configuration, in the shape of Neovim 0.11's `vim.lsp.config` (also what
--- nvim-lspconfig 2 takes).
function M.config(opts)
  local o = merged(opts)
  return {
    cmd = o.cmd,
    filetypes = o.filetypes,
    root_markers = o.root_markers,
    settings = o.settings,
    init_options = init_options(o.settings),
  }
end

-- The first folder, going up from `path`, that holds a marker; markers earlier in the list
-- win (as in Neovim 0.11). Written against vim.loop only, so it runs on 0.7.
local function find_root(path, markers)
  local uv = vim.uv or vim.loop
  for _, marker in ipairs(markers) do
    local dir = vim.fn.fnamemodify(path, ':p:h')
    while true do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
      local parent = vim.fn.fnamemodify(dir, ':h')
      if parent == dir then
        break
      end
      dir = parent
    end
  end
  return nil
end

-- Neovim 0.7 has no vim.lsp.start: keep one client per root folder by hand.
local clients_07 = {}

local function start(buf, o)
  if vim.bo[buf].buftype ~= '' then
    return
  end
  local name = vim.api.nvim_buf_get_name(buf)
  if name == '' then
    return
  end
  -- Without a marker, the file's own folder: Neovim before 0.11 needs a root folder.
  local root = find_root(name, o.root_markers) or vim.fn.fnamemodify(name, ':p:h')
  local config = {
    name = 'azpls',
    cmd = o.cmd,
    root_dir = root,
    settings = o.settings,
    init_options = init_options(o.settings),
  }
  if vim.lsp.start then -- 0.8 .. 0.10: reuses the client with the same name and root
    vim.lsp.start(config, { bufnr = buf })
    return
  end
  local id = clients_07[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(config)
    clients_07[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(buf, id)
  end
end

--- Starts azpls for the configured filetypes. `opts` overrides M.defaults.
function M.setup(opts)
  if vim.lsp.config and vim.lsp.enable then -- 0.11+
    vim.lsp.config('azpls', M.config(opts))
    vim.lsp.enable('azpls')
    return
  end
  local o = merged(opts)
  local group = vim.api.nvim_create_augroup('azpls', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = o.filetypes,
    callback = function(args)
      start(args.buf, o)
    end,
  })
  -- Buffers opened before setup() ran (a late-loaded plugin) get the server too.
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(o.filetypes, vim.bo[buf].filetype) then
      start(buf, o)
    end
  end
end

return M
