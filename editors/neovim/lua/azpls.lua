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
--
-- `:AzplsExpand` shows the pipeline the service will run (templates inlined, template
-- expressions evaluated) in a read-only buffer beside the source: setup() defines it, and
-- so does ../plugin/azpls.lua for those who start azpls with vim.lsp.enable alone.
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

-- The azpls client attached to `buf`, if any.
local function client_of(buf)
  if vim.lsp.get_clients then -- 0.10+
    return vim.lsp.get_clients({ bufnr = buf, name = 'azpls' })[1]
  end
  for _, client in pairs(vim.lsp.buf_get_clients(buf)) do -- 0.7 .. 0.9: a map id -> client
    if client.name == 'azpls' then
      return client
    end
  end
  return nil
end

local function notify_error(message)
  vim.notify('azpls: ' .. message, vim.log.levels.ERROR)
end

-- Marks an expanded buffer with the source buffer it shows, so that :AzplsExpand run in
-- it refreshes that source's expansion.
local SOURCE_VAR = 'azpls_expanded_from'

local function source_of(buf)
  local ok, source = pcall(vim.api.nvim_buf_get_var, buf, SOURCE_VAR)
  if ok and type(source) == 'number' and vim.api.nvim_buf_is_valid(source) then
    return source
  end
  return nil
end

-- The read-only scratch buffer that shows `source` expanded: the one from an earlier run
-- when it is still there, else a new one.
local function expanded_buffer(source)
  local name = 'azpls://expanded/' .. vim.fn.fnamemodify(vim.api.nvim_buf_get_name(source), ':~:.')
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if source_of(buf) == source or vim.api.nvim_buf_get_name(buf) == name then
      if vim.api.nvim_buf_get_name(buf) ~= name then -- the source was renamed
        vim.api.nvim_buf_set_name(buf, name)
      end
      vim.api.nvim_buf_set_var(buf, SOURCE_VAR, source)
      return buf
    end
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, name)
  vim.api.nvim_buf_set_var(buf, SOURCE_VAR, source)
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  -- buftype=nofile above keeps language servers away (they attach to files only).
  vim.bo[buf].filetype = 'yaml'
  return buf
end

-- Puts `text` into the expanded buffer of `source` and shows it in a window to the right
-- of the source's, unless a window of this tab page already shows it. The cursor stays
-- where it is, so that one can edit the source and run :AzplsExpand again.
local function show(source, text)
  local buf = expanded_buffer(source)
  local lines = vim.split(text, '\n', { plain = true })
  if lines[#lines] == '' then
    table.remove(lines)
  end
  vim.bo[buf].readonly = false
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].readonly = true
  vim.bo[buf].modified = false

  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == buf then
      return
    end
  end
  local beside = vim.fn.bufwinid(source)
  if beside == -1 then
    beside = vim.api.nvim_get_current_win()
  end
  -- nvim_win_call comes back to the current window: the new split does not take the focus.
  vim.api.nvim_win_call(beside, function()
    vim.cmd('vertical rightbelow split')
    vim.api.nvim_win_set_buf(vim.api.nvim_get_current_win(), buf)
  end)
end

--- Asks the azpls client attached to `buf` (default: the current buffer) for the expanded
--- pipeline (`workspace/executeCommand` `azpls.expand`) and shows it beside the source, in a
--- read-only buffer named `azpls://expanded/<file>`; run again, it refreshes that buffer. In
--- an expanded buffer, it refreshes that buffer's source. Errors go to vim.notify.
function M.expand(buf)
  if buf == nil or buf == 0 then
    buf = vim.api.nvim_get_current_buf()
  end
  buf = source_of(buf) or buf
  local client = client_of(buf)
  if not client then
    notify_error(
      'no azpls language server is attached to this buffer; :AzplsExpand works in the YAML'
        .. ' files azpls serves (see :checkhealth vim.lsp, or :LspInfo)'
    )
    return
  end
  local params = { command = 'azpls.expand', arguments = { vim.uri_from_bufnr(buf) } }
  local function on_result(err, result)
    -- The callback may run where the API must not be called (a fast event): defer.
    vim.schedule(function()
      if err then
        notify_error('the server could not expand this pipeline: ' .. tostring(err.message or err))
      elseif type(result) ~= 'string' then
        notify_error('the server answered azpls.expand without the expanded text')
      elseif not vim.api.nvim_buf_is_valid(buf) then
        return
      else
        show(buf, result)
      end
    end)
  end
  -- 0.11 calls client methods with `:`, and warns when called with `.` (0.7 .. 0.10's way).
  -- Passing the buffer makes Neovim send its pending changes first.
  local sent
  if vim.fn.has('nvim-0.11') == 1 then
    sent = client:request('workspace/executeCommand', params, on_result, buf)
  else
    sent = client.request('workspace/executeCommand', params, on_result, buf)
  end
  if not sent then
    notify_error('the azpls language server is not running; restart it (reopen the file, or :LspRestart)')
  end
end

--- Defines :AzplsExpand (see M.expand).
function M.create_commands()
  vim.api.nvim_create_user_command('AzplsExpand', function()
    M.expand()
  end, { desc = 'azpls: show the expanded pipeline (templates inlined) beside this one' })
end

--- Starts azpls for the configured filetypes, and defines :AzplsExpand. `opts` overrides
--- M.defaults.
function M.setup(opts)
  M.create_commands()
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
