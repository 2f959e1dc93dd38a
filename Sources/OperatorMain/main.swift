import Operator

OperatorCommand.main()
